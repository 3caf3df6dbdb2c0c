"""Membership: who belongs to Huddle, and to which organisation."""

SERVICE = "membership"
