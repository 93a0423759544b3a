"""The logical clock: deadlines fire on these ticks, never on the wall clock."""

from __future__ import annotations

from typing import Literal

from contracts.envelope import Envelope


class ClockTicked(Envelope):
    """Event time has reached ``occurred_at``; published by the region to every partition.

    Each partition's clock only moves forward: a tick before the last one is refused
    (``clock_regression``), and an event more than the allowed skew past it is refused
    (``clock_skew``).
    """

    event_type: Literal["clock_ticked"] = "clock_ticked"
