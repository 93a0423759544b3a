"""The topic catalog on the real broker: `liudong topics ensure` creates it once, and the
long-running processes refuse to start without it, in one line, instead of spinning."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from infra.projection.projector import PROJECTED
from streams.admin import catalog_names
from streams.keys import generate_key_file
from streams.topics import CATALOG, COUNTY_EVENTS, changelog_partitions, changelog_topics

pytestmark = pytest.mark.integration

PARTITIONS = 3


@pytest.fixture
def env(kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    generate_key_file(tmp_path / "keys" / "region.pem")  # what `clock` signs with
    return dict(
        os.environ,
        LIUDONG_HOME=str(tmp_path),
        LIUDONG_KAFKA_BOOTSTRAP=kafka_bootstrap,
        LIUDONG_TOPIC_PREFIX=f"cat{uuid.uuid4().hex[:8]}",
        LIUDONG_PARTITIONS=str(PARTITIONS),
        LIUDONG_LOG_FORMAT="json",
        LIUDONG_REGION_PUBLIC_KEY="A" * 43 + "=",
    )


def liudong(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def needed(command: str, prefix: str) -> list[str]:
    """The topics each process checks for: its own (under ACLs it sees no other)."""
    if command == "worker":
        return catalog_names(prefix)
    if command == "project":
        return [spec.full_name(prefix) for spec in PROJECTED]
    return [COUNTY_EVENTS.full_name(prefix)]


@pytest.mark.parametrize("command", [["worker"], ["project"], ["clock", "--count", "1"]])
def test_a_process_without_topics_exits_within_10_s_with_one_line(
    env: dict[str, str], command: list[str]
) -> None:
    env = {**env, "LIUDONG_PG_DSN": "postgresql://127.0.0.1:1/none"}
    done = liudong(env, *command, timeout=10)  # raises TimeoutExpired after 10 s
    prefix = env["LIUDONG_TOPIC_PREFIX"]
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr == (
        f"error: missing topics {', '.join(needed(command[0], prefix))} on "
        f"{env['LIUDONG_KAFKA_BOOTSTRAP']}: run `liudong topics ensure`\n"
    )


async def test_topics_ensure_creates_the_catalog_once(env: dict[str, str]) -> None:
    prefix = env["LIUDONG_TOPIC_PREFIX"]
    first = liudong(env, "topics", "ensure")
    assert first.returncode == 0, first.stderr
    created = [line for line in first.stdout.splitlines() if line.startswith("created ")]
    assert len(created) == len(catalog_names(prefix))
    assert first.stdout.splitlines()[-1].endswith(f"({len(created)} created)")
    again = liudong(env, "topics", "ensure")
    assert again.returncode == 0, again.stderr
    assert again.stdout == (
        f"{len(created)} topics ready on {env['LIUDONG_KAFKA_BOOTSTRAP']} (0 created)\n"
    )

    admin = AIOKafkaAdminClient(bootstrap_servers=env["LIUDONG_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        names = catalog_names(prefix)
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
    finally:
        await admin.close()
    settings = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}
        for response in configs
        for resource in response.resources
    }
    for spec in CATALOG:
        name = spec.full_name(prefix)
        assert len(described[name]["partitions"]) == spec.partitions(PARTITIONS), name
        assert settings[name]["retention.ms"] == "-1", name
        assert settings[name]["cleanup.policy"] == spec.config()["cleanup.policy"], name
    for name, count in changelog_partitions(prefix, PARTITIONS).items():
        # As many partitions as the agent's input: the registry gate's, one.
        assert len(described[name]["partitions"]) == count, name
        assert settings[name]["cleanup.policy"] == "compact"
    assert set(changelog_partitions(prefix, PARTITIONS)) == set(changelog_topics(prefix))

    other = liudong({**env, "LIUDONG_PARTITIONS": "4"}, "topics", "ensure")
    assert other.returncode == 1
    assert f"error: {prefix}.county-events has {PARTITIONS} partitions, not 4" in other.stderr


async def test_topics_ensure_sizes_each_topic_for_the_region_s_event_limit(
    env: dict[str, str],
) -> None:
    """Under a larger LIUDONG_MAX_EVENT_BYTES, the broker takes from a county what the gate
    admits: every topic's max.message.bytes follows the setting, not the default limit."""
    limit = 3 * 1024 * 1024
    prefix = env["LIUDONG_TOPIC_PREFIX"]
    done = liudong({**env, "LIUDONG_MAX_EVENT_BYTES": str(limit)}, "topics", "ensure")
    assert done.returncode == 0, done.stderr
    admin = AIOKafkaAdminClient(bootstrap_servers=env["LIUDONG_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, spec.full_name(prefix)) for spec in CATALOG]
        )
    finally:
        await admin.close()
    sizes = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}["max.message.bytes"]
        for response in configs
        for resource in response.resources
    }
    for spec in CATALOG:
        assert sizes[spec.full_name(prefix)] == str(spec.max_message_bytes(limit)), spec.name
    county_events = COUNTY_EVENTS.full_name(prefix)
    assert int(sizes[county_events]) > limit > int(COUNTY_EVENTS.config()["max.message.bytes"])
