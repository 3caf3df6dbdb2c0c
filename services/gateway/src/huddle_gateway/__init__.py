"""The gateway: authenticates, validates, and forwards to services over NATS request-reply."""

SERVICE = "gateway"
