"""People who know: found by topic and region, and contact requests to them."""
