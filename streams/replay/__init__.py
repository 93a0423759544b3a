"""``liudong replay``: derived state rebuilt from the log, and proved equal to the live one.

- :mod:`streams.replay.engine`: the cases agent's decisions per partition, without Faust.
- :mod:`streams.replay.reader`: the validated topic read from the start, with no group.
- :mod:`streams.replay.runner`: a replay up to a position, in one process or several.
- :mod:`streams.replay.outcome`: what a replay found, merged across processes; the summary.
- :mod:`streams.replay.positions`: positions in the validated log; derived records' causes.
- :mod:`streams.replay.derived`: derived records in canonical form, digests, differences.
- :mod:`streams.replay.scorecards`: the scorecards a replay implies, and the live ones.
- :mod:`streams.replay.live`: what the live workers derived, and how far.
- :mod:`streams.replay.projection`: the live projection, compared when at rest.
- :mod:`streams.replay.verify`: ``--verify``, every check together.
- :mod:`streams.replay.report`: the signed audit record and its check.
- :mod:`streams.replay.county`: one county's snapshot at an instant.
- :mod:`streams.replay.digest`: the canonical obligation rows and their SHA-256.
- :mod:`streams.replay.flags` and :mod:`streams.replay.command`: the command.

The names below are loaded on first use: the CLI imports this package to register its
flags, which must not pull in Kafka, the database and the agents.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.replay.command import cmd_replay
    from streams.replay.engine import PartitionReplay, Replay
    from streams.replay.outcome import Summary
    from streams.replay.projection import LiveState, NotAtRest, live_state, replay_and_verify
    from streams.replay.runner import replay_log

_EXPORTS = {
    "cmd_replay": "streams.replay.command",
    "PartitionReplay": "streams.replay.engine",
    "Replay": "streams.replay.engine",
    "Summary": "streams.replay.outcome",
    "LiveState": "streams.replay.projection",
    "NotAtRest": "streams.replay.projection",
    "live_state": "streams.replay.projection",
    "replay_and_verify": "streams.replay.projection",
    "replay_log": "streams.replay.runner",
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
