"""The PostgreSQL projection: read models and the archive, kept from the Kafka log.

- ``migrate``: versioned SQL migrations (``migrations/NNNN_name.sql``) applied in order.
- ``rows``: pure mapping from a decoded event to the statements it implies.
- ``store``: asyncpg writes, one transaction per batch with the offsets it reached.
- ``projector``: the consume loop (plain aiokafka, manual assignment, offsets in PostgreSQL).
"""
