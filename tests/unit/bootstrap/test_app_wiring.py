"""The composition root: each agent on a runtime of its own, with a table whose partitions
follow its input, and the worker a static member of its group, one id per home."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bootstrap.worker_app import build_app, group_instance_id
from infra.settings import Settings
from streams import topics
from streams.codec import DecodeError
from streams.runtime.faust_ports import RuntimeApp
from streams.signing import public_key_b64


def app_for(settings: Settings) -> RuntimeApp:
    app = build_app(
        settings,
        bootstrap_servers="127.0.0.1:9",
        region_code="610900",
        region_key=public_key_b64(Ed25519PrivateKey.generate()),
    )
    assert isinstance(app, RuntimeApp)
    return app


def test_each_agent_runs_on_its_own_runtime_and_table(tmp_path: Path) -> None:
    app = app_for(Settings(home=tmp_path, partitions=4))
    by_name = {agent.name: agent for agent in app.runtimes}
    assert set(by_name) == {"gate", "registry-gate", "cases"}
    inputs = {name: agent.topic for name, agent in by_name.items()}
    assert inputs == {
        "gate": "liudong.county-events",
        "registry-gate": "liudong.registry",
        "cases": "liudong.validated",
    }
    for table in topics.TABLES:
        made = app.tables[table.name]
        assert made.changelog_topic.get_topic_name() == table.changelog("liudong")
        assert made.partitions == table.input.partitions(4)
        assert by_name[table.agent].table is made
    assert app.tables["registry-gate-state"].partitions == 1


def test_a_worker_is_a_static_member_with_one_id_per_home(tmp_path: Path) -> None:
    one = Settings(home=tmp_path / "one")
    assert app_for(one).conf.consumer_group_instance_id == group_instance_id(one)
    assert group_instance_id(one) == group_instance_id(Settings(home=tmp_path / "one"))
    assert group_instance_id(one) != group_instance_id(Settings(home=tmp_path / "two"))
    assert group_instance_id(Settings(home=tmp_path, group_instance_id="w-7")) == "w-7"
    dynamic = Settings(home=tmp_path, group_instance_id="none")
    assert group_instance_id(dynamic) is None
    assert app_for(dynamic).conf.consumer_group_instance_id is None


def test_the_gate_and_the_cases_agent_read_events_as_large_as_the_setting_allows(
    tmp_path: Path,
) -> None:
    large = 12 * 1024 * 1024  # above the catalog's 10 MiB read limit
    app = app_for(Settings(home=tmp_path, max_event_bytes=large))
    by_name = {agent.name: agent for agent in app.runtimes}
    body = b"{" + b" " * (large - 2) + b"}"
    for name in ("gate", "cases"):
        codec = by_name[name].policy.codec  # type: ignore[attr-defined]
        with pytest.raises(DecodeError) as refused:
            codec.decode(body)
        assert refused.value.code != "oversize", name  # refused for its content, not its size
        with pytest.raises(DecodeError) as too_large:
            codec.decode(body + b" " * (1024 * 1024))
        assert too_large.value.code == "oversize", name
