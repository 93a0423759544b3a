"""Canonical JSON: the one byte form of an event that signatures and fingerprints cover.

The event's JSON object without ``signature``, keys sorted, no whitespace, UTF-8, non-ASCII
kept as is, so that any language can rebuild the same bytes from what it received.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in obj.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
