"""`liudong publish` as a county integrator runs it: a real process against the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from streams.admin import ensure_topics

pytestmark = pytest.mark.integration

GOOD = "11010519491231002X"


def line(**fields: str) -> str:
    base = {
        "event_type": "outflow_registered",
        "occurred_at": "2026-02-01T08:00:00+08:00",
        "national_id": GOOD,
        "origin_county": "610902",
        "destination_county": "440306",
    }
    return json.dumps(base | fields)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, as an integrator runs it (blocking is fine in a test)."""
    cli = [sys.executable, "-m", "entrypoints.cli"]
    return subprocess.run(
        [*cli, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_publish_signs_good_lines_and_reports_bad_ones(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = f"p{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=2, replication_factor=1)
    env = dict(
        os.environ,
        LIUDONG_KAFKA_BOOTSTRAP=kafka_bootstrap,
        LIUDONG_TOPIC_PREFIX=prefix,
        LIUDONG_HOME=str(tmp_path),
        LIUDONG_LOG_FORMAT="json",
    )
    key = tmp_path / "610902.pem"
    assert run(["keys", "generate", str(key)], env).returncode == 0
    export = tmp_path / "export.jsonl"
    export.write_text(
        "\n".join(
            [
                line(),
                line(national_id="110105194912310021"),  # wrong check digit
                line(destination_county="610113", reason="work"),
                "",
                "{broken",
                line(destination_county="441900"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    done = run(["publish", "--county", "610902", "--key", str(key), str(export)], env)
    assert done.returncode == 1, done.stderr
    assert "published 3 events, rejected 2 lines" in done.stdout
    assert "line 2: rejected: national ID check digit" in done.stderr
    assert "line 5: rejected: not JSON" in done.stderr
    assert "published 3/3" in done.stderr
    assert "Traceback" not in done.stderr
    assert GOOD not in done.stdout + done.stderr

    consumer = AIOKafkaConsumer(
        f"{prefix}.county-events",
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        got: list[dict[str, object]] = []
        for _ in range(20):
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(json.loads(m.value) for m in messages if m.value)
            if len(got) >= 3:
                break
    finally:
        await consumer.stop()
    assert sorted(str(e["destination_county"]) for e in got) == ["440306", "441900", "610113"]
    assert all(e["signature"] and e["publisher_id"] == "610902/node" for e in got)
    assert all(GOOD not in json.dumps(e) for e in got)
