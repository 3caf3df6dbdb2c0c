"""HTTP routes: each validates input with the shared contracts and forwards over NATS."""
