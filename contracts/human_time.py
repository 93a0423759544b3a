"""Times for people: Beijing time (Asia/Shanghai) with the zone shown, or UTC on request.

The log keeps every instant in UTC; the people in county offices read Beijing time. Every
human-facing time (CLI tables and lines, their JSON, the dashboard) goes through here; the
CLI's ``--utc`` switches a command to UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Zone:
    """The zone times are shown in, and how it is named next to them."""

    tz: dt.tzinfo
    name: str  # "UTC+8" or "UTC"

    def at(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.tz)

    def minutes(self, instant: dt.datetime | None) -> str:
        """``2026-03-01 08:30`` in this zone (the column header names the zone); ``-``."""
        return "-" if instant is None else f"{self.at(instant):%Y-%m-%d %H:%M}"

    def show(self, instant: dt.datetime | None) -> str:
        """``2026-03-01 08:30 UTC+8``: one time with its zone."""
        return "-" if instant is None else f"{self.minutes(instant)} {self.name}"

    def iso(self, instant: dt.datetime | None) -> str | None:
        """ISO 8601 with this zone's offset (``2026-03-01T08:30:00+08:00``), for JSON."""
        return None if instant is None else self.at(instant).isoformat()


LOCAL = Zone(BEIJING, "UTC+8")
UTC = Zone(dt.UTC, "UTC")


def zone(utc: bool) -> Zone:
    """The zone a command shows times in: Beijing time, or UTC with ``--utc``."""
    return UTC if utc else LOCAL
