"""The operators' dashboard: a loopback web server over the PostgreSQL projection.

It reads only PostgreSQL (the read models the projector keeps), so a Kafka restart does not
interrupt it; an unreachable database is reported to the page (HTTP 503, an SSE status
event) rather than crashing the server. Consumer lag is the one figure that asks Kafka, and
it shows as unavailable while the broker is down.
"""
