"""Signposting: where to find support, and people who know."""

SERVICE = "signposting"
