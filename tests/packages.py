"""The project's top-level packages, read from where pyproject.toml lists them for mypy, so
a test that walks the source tree walks all of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES: tuple[str, ...] = tuple(
    name
    for name in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mypy"][
        "packages"
    ]
    if name != "tests"
)
