"""``liudong replay``: derived state rebuilt from the log, and proved equal to the live one.

- :mod:`audit.replay.engine`: the cases agent's decisions per partition, without Faust.
- :mod:`audit.replay.reader`: the validated topic read from the start, with no group.
- :mod:`audit.replay.runner`: a replay up to a position, in one process or several.
- :mod:`audit.replay.outcome`: what a replay found, merged across processes; the summary.
- :mod:`audit.replay.positions`: positions in the validated log; derived records' causes.
- :mod:`audit.replay.derived`: derived records in canonical form, digests, differences.
- :mod:`audit.replay.scorecards`: the scorecards a replay implies, and the live ones.
- :mod:`audit.replay.live`: what the live workers derived, and how far.
- :mod:`audit.replay.projection`: the live projection, compared when at rest.
- :mod:`audit.replay.verify`: ``--verify``, every check together.
- :mod:`audit.replay.report`: the signed audit record and its check.
- :mod:`audit.replay.county`: one county's snapshot at an instant.
- :mod:`audit.replay.digest`: the canonical obligation rows and their SHA-256.
- :mod:`entrypoints.replay_cmd` and :mod:`audit.replay.command`: the command; its flags'
  combinations (:mod:`audit.replay.options`), exit codes (:mod:`audit.replay.exits`),
  ``--check-report`` (:mod:`audit.replay.check_report`) and a verification in words
  (:mod:`audit.replay.verification_text`).

The names below are loaded on first use: the CLI imports this package to register its
flags, which must not pull in Kafka, the database and the agents.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.replay.command import cmd_replay
    from audit.replay.engine import PartitionReplay, Replay
    from audit.replay.outcome import Summary
    from audit.replay.projection import LiveState, NotAtRest, live_state, replay_and_verify
    from audit.replay.runner import replay_log

_EXPORTS = {
    "cmd_replay": "audit.replay.command",
    "PartitionReplay": "audit.replay.engine",
    "Replay": "audit.replay.engine",
    "Summary": "audit.replay.outcome",
    "LiveState": "audit.replay.projection",
    "NotAtRest": "audit.replay.projection",
    "live_state": "audit.replay.projection",
    "replay_and_verify": "audit.replay.projection",
    "replay_log": "audit.replay.runner",
}

__all__ = [
    "LiveState",
    "NotAtRest",
    "PartitionReplay",
    "Replay",
    "Summary",
    "cmd_replay",
    "live_state",
    "replay_and_verify",
    "replay_log",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
