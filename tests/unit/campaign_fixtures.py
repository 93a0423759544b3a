"""A campaign scenario with a known number of anomalies of every kind, and what it must yield.

Each seeded person has exactly one anomaly (or none), built from real county codes; the
expected tasks are written down from the anomaly kinds, not computed by the rules.
Days count from ``case_fixtures.T0``; the campaign opens on day 200 over 汉滨区 (HANBIN).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from contracts.envelope import Envelope
from contracts.events.agreements import AgreementRevoked, AgreementSigned, AgreementTerms
from contracts.events.campaigns import CampaignOpened
from contracts.events.cooperation import InquirySent
from contracts.events.migration import InflowRegistered, OutflowRegistered
from tests.unit.case_fixtures import BAOAN, HANBIN, HANYIN, REGION, YANTA, day, make, tick

OPENED = day(200)
DEADLINE = day(230)
CAMPAIGN = "qingcha-2026-h1"
KINDS = ("lost_contact", "unmatched_arrival", "duplicate", "stale", "revoked_agreement")
FUTIAN = "440304"  # 深圳市福田区: a second destination, for duplicates
AGREEMENT = "hanbin-yanta-2026"


@dataclass(frozen=True)
class ExpectedTask:
    person_key: str
    check: str
    assignee: str


@dataclass
class Scenario:
    events: list[Envelope] = field(default_factory=list)
    expected: list[ExpectedTask] = field(default_factory=list)
    persons: dict[str, str] = field(default_factory=dict)  # person key -> its seeded kind


def person(n: int) -> str:
    return f"{n:064x}"


def ev(cls: type[Any], county: str, at: dt.datetime, key: str, **fields: Any) -> Any:
    return make(cls, county=county, at=at, person=False, person_key=key, **fields)


def build(seed: int = 7, per_kind: int = 4) -> Scenario:
    """``per_kind`` persons per anomaly kind, plus persons that must yield no task."""
    rng = random.Random(seed)
    s = Scenario()
    s.events.extend(
        make(
            AgreementSigned,
            county=party,
            at=day(0),
            person=False,
            agreement_id=AGREEMENT,
            origin_county=HANBIN,
            destination_county=YANTA,
            effective_from=day(0),
            terms=AgreementTerms(),
        )
        for party in (HANBIN, YANTA)  # binding once both have signed
    )
    plan = [kind for kind in KINDS for _ in range(per_kind)]
    plan += ["none", "recent_outflow", "other_county"] * per_kind
    rng.shuffle(plan)
    for n, kind in enumerate(plan, start=1):
        key = person(n)
        s.persons[key] = kind
        s.events.extend(_seed(kind, key, rng))
        if kind in KINDS:
            assignee = {
                "lost_contact": BAOAN,  # the destination checks presence
                "unmatched_arrival": HANBIN,  # the origin checks it is theirs
                "duplicate": FUTIAN,  # the later record's county
                "stale": BAOAN,  # where the person lives
                "revoked_agreement": YANTA,  # the destination under the revoked agreement
            }[kind]
            s.expected.append(ExpectedTask(key, kind, assignee))
    s.events.append(
        make(
            AgreementRevoked,
            county=HANBIN,
            at=day(160),
            person=False,
            agreement_id=AGREEMENT,
            effective_at=day(160),
        )
    )
    s.events.sort(key=lambda e: e.occurred_at)
    s.events.append(
        make(
            CampaignOpened,
            county=REGION,
            at=OPENED,
            publisher=f"{REGION}/region",
            person=False,
            campaign_id=CAMPAIGN,
            counties=(HANBIN,),
            period_start=day(1),
            period_end=OPENED,
            deadline=DEADLINE,
            checks=KINDS,
        )
    )
    s.events.append(tick(day(201)))
    return s


def _seed(kind: str, key: str, rng: random.Random) -> list[Envelope]:
    jitter = dt.timedelta(hours=rng.randrange(0, 20))
    moved = [
        ev(OutflowRegistered, HANBIN, day(120) + jitter, key, origin_county=HANBIN,
           destination_county=BAOAN),
        ev(InflowRegistered, BAOAN, day(121) + jitter, key, origin_county=HANBIN,
           destination_county=BAOAN),
    ]  # fmt: skip
    if kind == "none":
        return moved
    if kind == "lost_contact":  # 80 days without an arrival
        return moved[:1]
    if kind == "recent_outflow":  # 10 days: not yet a lost contact
        return [
            ev(OutflowRegistered, HANBIN, day(190) + jitter, key, origin_county=HANBIN,
               destination_county=BAOAN)
        ]  # fmt: skip
    if kind == "other_county":  # a lost contact, but 汉阴县 is not in the campaign
        return [
            ev(OutflowRegistered, HANYIN, day(120) + jitter, key, origin_county=HANYIN,
               destination_county=BAOAN)
        ]  # fmt: skip
    if kind == "unmatched_arrival":  # 50 days without the origin's outflow
        return [
            ev(InflowRegistered, BAOAN, day(150) + jitter, key, origin_county=HANBIN,
               destination_county=BAOAN)
        ]  # fmt: skip
    if kind == "duplicate":  # registered in 宝安 and in 福田 at once
        return [
            *moved,
            ev(OutflowRegistered, HANBIN, day(122) + jitter, key, origin_county=HANBIN,
               destination_county=FUTIAN),
            ev(InflowRegistered, FUTIAN, day(123) + jitter, key, origin_county=HANBIN,
               destination_county=FUTIAN),
        ]  # fmt: skip
    if kind == "stale":  # nothing since day 2: 198 days
        return [
            ev(OutflowRegistered, HANBIN, day(1) + jitter, key, origin_county=HANBIN,
               destination_county=BAOAN),
            ev(InflowRegistered, BAOAN, day(2) + jitter, key, origin_county=HANBIN,
               destination_county=BAOAN),
        ]  # fmt: skip
    # revoked_agreement: an inquiry still open under the agreement revoked on day 160
    return [
        ev(OutflowRegistered, HANBIN, day(120) + jitter, key, origin_county=HANBIN,
           destination_county=YANTA),
        ev(InflowRegistered, YANTA, day(121) + jitter, key, origin_county=HANBIN,
           destination_county=YANTA),
        ev(InquirySent, YANTA, day(150) + jitter, key, inquiry_id=f"inq-{key[-6:]}",
           to_county=HANBIN, kind="other"),
    ]  # fmt: skip
