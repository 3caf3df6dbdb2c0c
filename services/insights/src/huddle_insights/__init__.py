"""Insights: aggregated, non-identifying feedback for national bodies."""

SERVICE = "insights"
