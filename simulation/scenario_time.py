"""Time in a scenario: seconds from its start, office hours, the Spring Festival and the
departure waves around it, and the rules' deadlines in days."""

from __future__ import annotations

import datetime as dt
import random

from contracts.agreement_terms import Defaults

DAY = 86_400
OFFICE_OPEN = 1_800  # 00:30 UTC = 08:30 Beijing time
OFFICE_CLOSE = 34_200  # 09:30 UTC = 17:30 Beijing time
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# The rules' default deadlines, in days: what "on time" means for the simulated offices.
_RULES = Defaults()
ARRIVAL_DAYS = _RULES.arrival_days
ORIGIN_CONFIRMATION_DAYS = _RULES.origin_confirmation_days
INQUIRY_DAYS = {
    "certificate": _RULES.inquiry_certificate_days,
    "urgent": _RULES.inquiry_urgent_days,
    "other": _RULES.inquiry_other_days,
}
RECEIPT_DAYS = _RULES.receipt_days
RECEIPT_URGENT_DAYS = _RULES.receipt_urgent_days
HANDOVER_DAYS = _RULES.handover_days

# 春节 (first day of the lunar year), Gregorian dates.
SPRING_FESTIVAL = {
    2020: dt.date(2020, 1, 25),
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
    2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}
RETURN_WAVE_DAYS = 14  # home-going in the two weeks before the festival
DEPARTURE_WAVE_DAYS = 21  # leaving again in the three weeks after
# Departures by month outside the festival waves (spring hiring high, winter low).
MONTH_WEIGHT = (0.8, 1.0, 1.4, 1.0, 0.9, 0.8, 1.1, 1.0, 1.0, 0.9, 0.7, 0.6)

WAVE_WEIGHTS = [1.0 + 4.0 * max(0.0, 1.0 - abs(d - 7) / 14) for d in range(DEPARTURE_WAVE_DAYS)]


def office(rng: random.Random, day: int) -> int:
    """An instant in office hours (Beijing time) on ``day``."""
    return day * DAY + rng.randrange(OFFICE_OPEN, OFFICE_CLOSE)


def within(rng: random.Random, since: int, until: int) -> int | None:
    if until // DAY <= since // DAY:
        return None
    return office(rng, rng.randrange(since // DAY, until // DAY))
