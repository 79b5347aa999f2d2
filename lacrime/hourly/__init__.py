"""When: crimes to expect in one clock hour of a kind of day (counts, models, forecast,
evaluation)."""
