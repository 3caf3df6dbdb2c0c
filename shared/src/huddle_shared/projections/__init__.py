"""Projections several services keep alike from another service's events."""
