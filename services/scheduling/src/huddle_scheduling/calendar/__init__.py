"""The calendar area: calendar feeds, personal calendar tokens, "add to calendar" and
reminders. It reads sessions and places only through ``huddle_scheduling.ports``."""
