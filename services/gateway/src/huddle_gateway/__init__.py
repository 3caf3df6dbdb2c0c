"""The gateway: validates requests and forwards them to services over NATS request-reply.

It holds no database and no business rules.
"""

SERVICE = "gateway"
