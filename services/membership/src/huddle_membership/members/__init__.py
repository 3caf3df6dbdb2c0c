"""Members: organisations, member accounts and the member's own account."""
