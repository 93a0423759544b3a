"""``replay --verify`` while the system runs: simulated counties keep publishing (``liudong
simulate`` at a steady rate, in its own process) into a real worker on the real broker. The
verification fixes the position the worker has derived up to, replays the log to there and
finds every derived topic equal, while the validated log grows past that position; the
scorecards, which may hold what came since, are not compared. Then the derived topics are
copied under a throwaway prefix with one obligation changed: verified at the same position
against the copy, that record is named, with where it lies and the validated record that
caused it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from agents import assessment_config
from audit.replay.live import derived_position
from audit.replay.reader import end_offsets
from audit.replay.verify import DIFFERENT, MATCH, NOT_COMPARED, Request, verify
from streams import topics
from streams.admin import ensure_topics
from tests.integration.derived_copy import copy_derived
from tests.integration.pipeline import REGION, SECRET, Pipeline

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PARTITIONS = 3
RATE = 60  # events/s the simulated counties publish
STARTED = 300  # validated events the worker has derived before the first verification


def simulate(pipeline: Pipeline, home: Path) -> subprocess.Popen[bytes]:
    keys = home / "keys"
    keys.mkdir(parents=True)
    pem = pipeline.region_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (keys / "region.pem").write_bytes(pem)
    env = dict(
        os.environ,
        LIUDONG_HOME=str(home),
        LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
        LIUDONG_TOPIC_PREFIX=pipeline.prefix,
        LIUDONG_PARTITIONS=str(PARTITIONS),
        LIUDONG_REGION_CODE=REGION,
        LIUDONG_PERSON_KEY_SECRET=SECRET.decode(),
        LIUDONG_LOG_FORMAT="json",
    )
    argv = ["simulate", "--counties", "3", "--persons", "600", "--months", "3"]
    with (home / "simulate.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", *argv, "--seed", "11", "--rate", str(RATE)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def derived_up_to(pipeline: Pipeline, minimum: int, wait_s: float = 150) -> None:
    validated = topics.VALIDATED.full_name(pipeline.prefix)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        reached, _ = await derived_position(pipeline.bootstrap, pipeline.prefix, validated)
        if sum(reached.values()) >= minimum:
            return
        await asyncio.sleep(1)
    raise AssertionError(f"the worker derived fewer than {minimum} events in {wait_s}s")


async def test_verify_while_input_keeps_arriving_then_a_changed_record_is_named(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    pipeline = Pipeline(kafka_bootstrap, f"v{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    await ensure_topics(
        kafka_bootstrap, prefix=pipeline.prefix, partitions=PARTITIONS, replication_factor=1
    )
    pipeline.start_worker()
    counties = simulate(pipeline, tmp_path / "counties")
    config = assessment_config.load()
    try:
        await derived_up_to(pipeline, STARTED)
        assert counties.poll() is None, "the simulated counties stopped publishing too early"
        request = Request(kafka_bootstrap, pipeline.prefix, REGION, config, wait_s=0)
        first = await asyncio.to_thread(verify, request)
        after = await end_offsets(kafka_bootstrap, topics.VALIDATED.full_name(pipeline.prefix))

        assert first.ok, [(c.name, c.status, c.note) for c in first.topic_checks]
        for check in first.topic_checks:
            assert check.status == MATCH, check
            assert check.replayed_records > 0
        assert sum(first.position.values()) >= STARTED
        assert sum(n for n in after.values()) > sum(first.position.values())  # input kept coming
        assert first.scorecard_check.status == NOT_COMPARED
        assert first.projection_check.status == NOT_COMPARED

        copy = f"t{uuid.uuid4().hex[:8]}"
        tampered = await copy_derived(
            kafka_bootstrap, pipeline.prefix, copy, PARTITIONS, first.position
        )
        again = Request(
            kafka_bootstrap,
            pipeline.prefix,
            REGION,
            config,
            derived_prefix=copy,
            at_position=first.position,
            wait_s=0,
        )
        second = await asyncio.to_thread(verify, again)
    finally:
        if counties.poll() is None:
            os.killpg(counties.pid, 15)
            counties.wait(30)
        pipeline.stop_worker()
    obligations, alerts = second.topic_checks
    assert alerts.status == MATCH
    assert obligations.status == DIFFERENT
    difference = obligations.difference
    assert difference is not None
    assert difference.live is not None
    assert difference.live.where == tampered.where
    assert difference.live.event_id == tampered.event_id
    assert difference.fields() == ["due_at"]
    validated = topics.VALIDATED.full_name(pipeline.prefix)
    text = difference.describe(validated)
    assert f"caused by {tampered.cause} (" in text
    assert second.position == first.position
    assert not second.ok
