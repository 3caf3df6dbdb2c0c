"""Signposting's own copy of members: their consent, topics, region and status."""
