"""The services built from the settings read Kafka as the settings say: the client options
(SASL when configured) and the size limit under the deployment's largest event."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from agents import assessment_config
from bootstrap import services
from infra.settings import Settings
from streams.codec import DecodeError

LARGE_EVENT = 12 * 1024 * 1024  # above the catalog's 10 MiB read limit


def secured(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="liudong",
        kafka_sasl_password=SecretStr("secret"),
        max_event_bytes=LARGE_EVENT,
    )


def test_the_assessment_service_reads_and_publishes_with_the_kafka_client_options(
    tmp_path: Path,
) -> None:
    service = services.assessment_service(
        secured(tmp_path), "127.0.0.1:9", assessment_config.load(), keep_snapshot=False
    )
    assert service.client_options["security_protocol"] == "SASL_SSL"
    assert service.client_options["sasl_plain_username"] == "liudong"


def test_the_assessment_service_reads_events_as_large_as_the_gate_admits(tmp_path: Path) -> None:
    service = services.assessment_service(
        secured(tmp_path), "127.0.0.1:9", assessment_config.load(), keep_snapshot=False
    )
    large = b"{" + b" " * (LARGE_EVENT - 2) + b"}"
    for codec in service.codecs.values():
        with pytest.raises(DecodeError) as refused:
            codec.decode(large)
        assert refused.value.code != "oversize"  # refused for its content, not its size
        with pytest.raises(DecodeError) as too_large:
            codec.decode(large + b" " * 1024)
        assert too_large.value.code == "oversize"
