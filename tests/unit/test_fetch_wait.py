"""The worker's Kafka consumer asks the broker to hold a fetch at most the configured wait
(streams.fetch_wait says why), not Faust's fixed 1.5 s. No broker: the consumer is built,
never started."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faust.transport.drivers import aiokafka as faust_aiokafka

from infra.settings import Settings
from streams import fetch_wait
from streams.app import build_app
from streams.signing import public_key_b64


async def test_worker_consumer_uses_the_configured_fetch_wait(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, consumer_fetch_wait_ms=25)
    app = build_app(
        settings,
        bootstrap_servers="127.0.0.1:9",
        region_code="610900",
        region_key=public_key_b64(Ed25519PrivateKey.generate()),
    )
    assert isinstance(app.transport, fetch_wait.Transport)
    assert isinstance(app.consumer, faust_aiokafka.Consumer)
    consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == 25
        assert consumer._group_id == app.conf.id  # the rest is still Faust's worker consumer
    finally:
        await consumer.stop()


def test_the_default_wait_is_well_under_fausts() -> None:
    assert Settings().consumer_fetch_wait_ms == 50
