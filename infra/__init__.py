"""How the real components start and are reached: Kafka, PostgreSQL, settings, logging."""
