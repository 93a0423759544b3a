"""The bench's results: the files under ``bench/results`` and the text of the table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import stats
from benchmarks.scale import Scale
from benchmarks.stats import Row


def results_dir() -> Path:
    """``bench/results`` of the source tree when run from one, else of the working directory."""
    root = Path(__file__).resolve().parents[1]
    return (root if (root / "pyproject.toml").exists() else Path.cwd()) / "bench" / "results"


@dataclass
class Result:
    rows: list[Row]
    facts: dict[str, Any]
    profile: str | None = None

    def as_json(self, scale: Scale, stamp: str) -> dict[str, Any]:
        return {
            "timestamp": stamp,
            "scale": scale.name,
            "facts": self.facts,
            "rows": [row.as_json() for row in self.rows],
        }


def render(result: Result, scale: Scale, stamp: str) -> str:
    f = result.facts
    head = [
        f"# liudong bench ({scale.name}), {stamp}",
        "",
        f"{f.get('events')} events ({f.get('messages')} messages with broadcast copies), "
        f"{f.get('persons')} persons, {f.get('counties')} origin counties, "
        f"{f.get('months')} months; {f.get('partitions')} partitions; one Kafka broker on "
        f"loopback; {f.get('cpus')} CPUs; Python {f.get('python')}; "
        f"{f.get('elapsed_s', 0):.0f} s in all.",
        "",
        stats.render_table(result.rows),
        "",
    ]
    missed = stats.misses(result.rows)
    if missed:
        head.append("Missed: " + "; ".join(_miss_text(row) for row in missed) + ".")
    else:
        head.append("Every target with a figure was met.")
    if scale.name == "quick":
        head.append("")
        head.append("Quick scale: the restart is measured with 100,000 persons on disk and the "
                    "1,000,000-person memory figure is extrapolated from two measured points "
                    "(the full bench measures both at 1,000,000).")  # fmt: skip
    return "\n".join(head)


def _miss_text(row: Row) -> str:
    got = row.value if row.target_on_value else row.compared
    shown = "no figure" if got is None else f"{got:.3g}{'' if row.target_on_value else 'x'}"
    target = row.target.text(row.target_unit) if row.target else ""
    return f"{row.figure}: {shown} against {target}, {stats.shortfall(row)}"
