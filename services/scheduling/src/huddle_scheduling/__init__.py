"""Scheduling: sessions, series, registrations and calendar feeds."""

SERVICE = "scheduling"
