"""NATS helpers: broker construction, streams, event publishing, consuming and RPC."""
