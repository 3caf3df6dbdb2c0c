"""Code shared by every Huddle service: contracts, messaging, storage and telemetry."""
