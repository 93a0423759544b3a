"""Kafka client security from settings: one place that turns ``LIUDONG_KAFKA_*`` into the
options of every aiokafka client and into the Faust app's broker credentials.

PLAINTEXT (the default) yields no options at all, so clients built with them behave exactly
as before. SASL_SSL yields SCRAM credentials over TLS with the broker's certificate checked
(hostname included) against ``kafka_ssl_cafile``. The password leaves its ``SecretStr`` only
here, straight into the client; nothing in this module logs.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka.helpers import create_ssl_context

from infra.settings import Settings

if TYPE_CHECKING:
    import faust


class KafkaSecurityError(ValueError):
    """The security settings are incomplete (SASL_SSL without a user or a password)."""


def ssl_context(cafile: Path | None) -> ssl.SSLContext:
    """A client TLS context: certificate and hostname verified, against ``cafile`` if given."""
    context: ssl.SSLContext = create_ssl_context(cafile=str(cafile) if cafile else None)
    return context


def _credentials(settings: Settings) -> tuple[str, str]:
    user, password = settings.kafka_sasl_username, settings.kafka_sasl_password
    if not user or password is None:
        raise KafkaSecurityError(
            "LIUDONG_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs LIUDONG_KAFKA_SASL_USERNAME "
            "and LIUDONG_KAFKA_SASL_PASSWORD"
        )
    return user, password.get_secret_value()


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer / AIOKafkaAdminClient."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return {}
    user, password = _credentials(settings)
    return {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
        "ssl_context": ssl_context(settings.kafka_ssl_cafile),
    }


def faust_credentials(settings: Settings) -> faust.SASLCredentials | None:
    """``broker_credentials`` for ``faust.App``: Faust hands them to every client it makes
    (consumer, producer, topic creation) via ``credentials_to_aiokafka_auth``; an SSL context
    on SASLCredentials is what makes the protocol SASL_SSL rather than SASL_PLAINTEXT."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    import faust  # here: the publishing CLI commands need the options, not Faust's import time

    user, password = _credentials(settings)
    return faust.SASLCredentials(
        username=user,
        password=password,
        ssl_context=ssl_context(settings.kafka_ssl_cafile),
        mechanism=settings.kafka_sasl_mechanism,
    )
