"""An operator's read commands with the broker out of reach: one ``error:`` line naming what
failed and exit 2, never a traceback (the CLI in its own process, as an operator runs it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

COMMANDS = (
    ["campaign", "status"],
    ["obligations"],
    ["scorecard", "--period", "2026-Q1"],
    ["replay"],
)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_broker_out_of_reach_is_one_line_and_exit_2(command: list[str], tmp_path: Path) -> None:
    env = dict(
        os.environ,
        LIUDONG_HOME=str(tmp_path),
        LIUDONG_KAFKA_BOOTSTRAP=f"127.0.0.1:{closed_port()}",
        LIUDONG_PG_DSN=f"postgresql://nobody@127.0.0.1:{closed_port()}/liudong",
    )
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "KafkaConnectionError" in errors[0]
