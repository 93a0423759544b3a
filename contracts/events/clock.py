"""The logical clock: deadlines fire on these ticks, never on the wall clock."""

from __future__ import annotations

from typing import Literal

from contracts.envelope import Envelope


class ClockTicked(Envelope):
    """Event time has reached ``occurred_at``; published to every partition."""

    event_type: Literal["clock_ticked"] = "clock_ticked"
