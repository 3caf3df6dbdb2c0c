"""Directory: organisation search and the public statistics (reads other areas)."""
