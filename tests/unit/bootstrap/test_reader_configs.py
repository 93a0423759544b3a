"""The readers' commands take what they run from the composition root: the dashboard, the
public page and a bulletin's request are built from the settings, one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents import assessment_config as cfg
from bootstrap import readers
from disclosure.bulletin.inputs import sha256_file
from infra.settings import Settings
from streams import topics

DSN = "postgresql://reader@127.0.0.1:1/liudong"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(home=tmp_path, pg_dsn=DSN, **values)  # type: ignore[arg-type]


def test_the_dashboard_reads_the_projection_and_the_region_of_the_settings(
    tmp_path: Path,
) -> None:
    given = settings(tmp_path, region_code="610900", kafka_bootstrap="127.0.0.1:9")
    config = readers.dashboard_config(given, host="127.0.0.1", port=0)
    assert (config.dsn, config.region, config.kafka_bootstrap) == (DSN, "610900", "127.0.0.1:9")
    assert (config.host, config.port) == ("127.0.0.1", 0)


def test_the_dashboard_refuses_a_host_that_is_not_loopback(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        readers.dashboard_config(settings(tmp_path), host="192.0.2.1", port=8765)


def test_the_public_page_serves_the_deployment_s_folder_with_its_threshold(
    tmp_path: Path,
) -> None:
    given = settings(tmp_path, public_suppress_below=7, topic_prefix="county")
    config = cfg.load()
    public = readers.public_config(given, "127.0.0.1:9", config, cfg.DEFAULT_PATH, port=0)
    assert public.folder == given.public_bulletins
    assert (public.threshold, public.prefix, public.region) == (7, "county", given.region_code)
    assert public.weights_sha256 == sha256_file(cfg.DEFAULT_PATH)
    assert public.config is config


def test_the_public_page_reads_events_as_large_as_the_deployment_admits(tmp_path: Path) -> None:
    large = 12 * 1024 * 1024  # above the catalog's 10 MiB floor
    config = cfg.load()
    floor = readers.public_config(
        settings(tmp_path), "127.0.0.1:9", config, cfg.DEFAULT_PATH, port=0
    )
    given = settings(tmp_path, max_event_bytes=large)
    public = readers.public_config(given, "127.0.0.1:9", config, cfg.DEFAULT_PATH, port=0)
    assert (floor.max_record_bytes, public.max_record_bytes) == (topics.READ_LIMIT_BYTES, large)


def test_only_the_public_edition_of_a_bulletin_withholds(tmp_path: Path) -> None:
    given = settings(tmp_path, public_suppress_below=6)
    asked = {"period": "2026-Q1", "scope": "region", "lang": "zh", "office": None}
    full = readers.bulletin_request(given, public=False, **asked)  # type: ignore[arg-type]
    public = readers.bulletin_request(given, public=True, **asked)  # type: ignore[arg-type]
    assert (full.edition, full.suppress_below) == ("full", None)
    assert (public.edition, public.suppress_below) == ("public", 6)
    assert full.region == public.region == given.region_code
