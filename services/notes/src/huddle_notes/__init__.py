"""Notes: anonymised, unattributable notes of sessions that are never recorded."""

SERVICE = "notes"
