"""Audit: replay of the log, a person's or a county's history, the obligations as listed."""
