"""Every event type, grouped by what it is about."""
