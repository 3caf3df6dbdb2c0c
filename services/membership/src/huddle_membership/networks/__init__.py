"""Networks: networks, memberships and roles, join requests and invitations."""
