"""MongoDB helpers (PyMongo's async API): client, outbox, idempotent projections."""
