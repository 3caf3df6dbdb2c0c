"""Local development kit: real servers on loopback, the whole system as processes, demo data."""
