"""The README's main job, ``liudong demo``, end to end: it starts its own broker, database,
agents, projector, assessment service and dashboard, runs the simulator and reports.

Its closing report reads the projection with SQL of its own; nothing else runs that SQL, so
only running the demo shows that the report matches the schema (it once did not).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_the_demo_runs_reports_and_stops_cleanly(
    kafka_jars: Path, infra_settings: Settings, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").symlink_to(infra_settings.cache_dir)  # the jars already resolved
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LIUDONG_") or k == "LIUDONG_KAFKA_VERSION"
    }
    env.update(LIUDONG_HOME=str(home), LIUDONG_LOG_FORMAT="json")
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "demo", "--duration", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    lines = out.splitlines()
    tasks = lines.index(
        "campaign tasks (清理清查) by kind: assigned / answered / overdue, assignee counties:"
    )
    assert "lost_contact" in lines[tasks + 1] + lines[tasks + 2] + lines[tasks + 3]
    assert any(line.startswith("two-way assessment (双向考核)") for line in lines)
    assert any(line.startswith("dashboard at http://127.0.0.1:") for line in lines)
    assert any(line.startswith("bulletin 2026-Q1 (通报)") for line in lines)
    assert any(line.startswith("public page at http://127.0.0.1:") for line in lines)
    assert lines[-1] == "demo stopped cleanly"
