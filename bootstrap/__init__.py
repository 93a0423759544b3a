"""The composition root: what every entry point builds from the one set of settings.

An entry point parses its arguments, asks this package for what it runs and runs it; it
wires nothing itself, so a service is put together one way whether a command, the demo or
the bench starts it.

- :func:`load_settings`: the ``LIUDONG_*`` settings, or one line saying which is bad.
- :func:`client_options`: how every Kafka client of this deployment connects.
- :mod:`bootstrap.services`: the Kafka clients and services the commands run (county-node
  publishers, the registry reader, the projector, the assessment service, the topic
  catalog), each built in one place.
- :mod:`bootstrap.worker_app`: the workers' Faust app and every agent wired to it.

This module stays light (settings and Kafka client options): every command imports it, and
imports :mod:`bootstrap.services` only when it runs a service.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import ValidationError

from infra.settings import Settings


def load_settings() -> Settings | None:
    """The settings, or None after one line on stderr naming the bad ``LIUDONG_*`` value."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: bad LIUDONG_* setting: {first['loc']}: {first['msg']}", file=sys.stderr)
        return None


def client_options(settings: Settings) -> dict[str, Any]:
    """SASL/SCRAM-over-TLS client options when configured (LIUDONG_KAFKA_SECURITY_PROTOCOL)."""
    # Imported here: this module is imported by every command, the security module by few.
    from infra.kafka.client_security import aiokafka_options

    return aiokafka_options(settings)
