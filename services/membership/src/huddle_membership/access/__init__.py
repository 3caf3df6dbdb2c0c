"""Access: sign-in with its limits, and API tokens for machine clients."""
