"""infra.projection.rows: each event maps to the right statements with the right arguments."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Any, TypeVar

import pytest

from contracts.envelope import Envelope
from contracts.events.agreements import (
    AgreementAmended,
    AgreementRevoked,
    AgreementSigned,
    AgreementTerms,
)
from contracts.events.campaigns import (
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    RecordsSplit,
    VerificationResultReported,
    VerificationTaskAssigned,
)
from contracts.events.clock import ClockTicked
from contracts.events.cooperation import InquirySent
from contracts.events.derived import (
    AgreementCoveragePublished,
    AlertRaised,
    CoverageFigure,
    DeadLettered,
    IndicatorValue,
    ObligationBreached,
    ObligationCancelled,
    ObligationEscalated,
    ObligationFulfilled,
    ObligationOpened,
    ObligationReminded,
    ScorecardPublished,
)
from contracts.events.migration import (
    ArrivalNotFound,
    CaseTakenOver,
    InflowRegistered,
    MovedOn,
    OutflowRegistered,
    ReturnedHome,
)
from contracts.events.registry import CountyRegistered, PublisherRegistered
from infra.projection import (
    agreement_rows,
    archive_rows,
    campaign_rows,
    obligation_rows,
    person_rows,
    published_rows,
    registry_rows,
    rows,
)
from infra.projection.rows import Position, Statement
from tests.unit.factories import COUNTY_A, COUNTY_B, COUNTY_C, PERSON, REGION, T0, unsigned

E = TypeVar("E", bound=Envelope)
KEY = "A" * 43 + "="
AT = Position("liudong.validated", 1, 42)
DAY = dt.timedelta(days=1)


def ev(cls: type[E], source: str = COUNTY_A, **fields: Any) -> E:
    return unsigned(cls, source_county=source, publisher_id=f"{source}/node", **fields)


def only(statements: tuple[Statement, ...]) -> Statement:
    assert len(statements) == 1, statements
    return statements[0]


def placeholders(sql: str) -> int:
    return max((int(n) for n in re.findall(r"\$(\d+)", sql)), default=0)


def check_arity(statements: tuple[Statement, ...]) -> None:
    for statement in statements:
        assert placeholders(statement.sql) == len(statement.args), statement.sql


def opened() -> ObligationOpened:
    return ev(
        ObligationOpened,
        REGION,
        person_key=PERSON,
        obligation_id="obl-1",
        kind="arrival_registration",
        responsible_county=COUNTY_B,
        counterpart_county=COUNTY_A,
        opened_at=T0,
        due_at=T0 + 30 * DAY,
        remind_at=T0 + 20 * DAY,
        escalate_at=T0 + 40 * DAY,
        agreement_id="agr-1",
    )


# --- archive, offsets, dead letters -------------------------------------------------------------


def test_archive_carries_envelope_position_and_raw_payload() -> None:
    event = ev(
        OutflowRegistered, person_key=PERSON, origin_county=COUNTY_A, destination_county=COUNTY_B
    )
    raw = {"event_type": "outflow_registered", "to_county": COUNTY_B, "note": "汉滨"}
    statement = rows.archive(event, raw, AT)
    assert statement.sql == archive_rows.ARCHIVE
    check_arity((statement,))
    args = statement.args
    assert args[:6] == (event.event_id, "liudong.validated", 1, 42, "outflow_registered", 2)
    assert args[6:12] == (T0, T0, COUNTY_A, f"{COUNTY_A}/node", event.event_id, None)
    assert args[12] == PERSON
    assert json.loads(args[13]) == raw
    assert "汉滨" in args[13]  # stored as text, not \u-escaped


def test_archive_of_an_event_without_a_person_has_no_person_key() -> None:
    tick = ev(ClockTicked, REGION)
    assert rows.archive(tick, {}, AT).args[12] is None
    assert rows.changes(tick) == ()


def test_save_offset() -> None:
    statement = rows.save_offset("t", 3, 17)
    assert statement == Statement(archive_rows.SAVE_OFFSET, ("t", 3, 17))
    check_arity((statement,))


def test_undecodable_message_is_a_dead_letter_with_a_position_derived_id() -> None:
    when = T0
    first = rows.undecodable(AT, b"\xff", "not_utf8", "invalid UTF-8 at byte 0", when)
    again = rows.undecodable(AT, b"\xff", "not_utf8", "invalid UTF-8 at byte 0", when)
    other = rows.undecodable(Position(AT.topic, 1, 43), b"\xff", "not_utf8", "x", when)
    assert first == again
    assert first.args[0] != other.args[0]
    assert first.sql == archive_rows.DEAD_LETTER
    assert first.args[1:] == (
        "not_utf8",
        "invalid UTF-8 at byte 0",
        b"\xff",
        "liudong.validated",
        1,
        42,
        when,
        "projector",
    )
    assert rows.undecodable(AT, None, "empty_message", "no value", when).args[3] == b""
    check_arity((first,))


def test_gate_dead_letter_decodes_the_raw_bytes() -> None:
    event = ev(
        DeadLettered,
        REGION,
        reason_code="bad_signature",
        reason="signature does not verify",
        raw=base64.b64encode(b'{"x": 1}').decode(),
        source_topic="liudong.county-events",
        source_partition=2,
        source_offset=9,
    )
    statement = only(rows.changes(event))
    assert statement.sql == archive_rows.DEAD_LETTER
    assert statement.args == (
        event.event_id,
        "bad_signature",
        "signature does not verify",
        b'{"x": 1}',
        "liudong.county-events",
        2,
        9,
        T0,
        "gate",
    )


def test_gate_dead_letter_with_raw_that_is_not_base64_keeps_the_text() -> None:
    event = ev(
        DeadLettered,
        REGION,
        reason_code="x",
        reason="y",
        raw="not base64!",
        source_topic="t",
        source_partition=0,
        source_offset=0,
    )
    assert only(rows.changes(event)).args[3] == b"not base64!"


# --- registry -----------------------------------------------------------------------------------


def test_county_registered() -> None:
    event = ev(CountyRegistered, REGION, county=COUNTY_A, name="汉滨区", public_key=KEY)
    statement = only(rows.changes(event))
    assert statement == Statement(
        registry_rows.COUNTY, (COUNTY_A, "汉滨区", KEY, T0, event.event_id)
    )


def test_publisher_registered() -> None:
    event = ev(
        PublisherRegistered,
        county=COUNTY_A,
        publisher=f"{COUNTY_A}/office-{COUNTY_B}",
        role="outposted_office",
        public_key=KEY,
        event_types=("inflow_registered",),
        stationed_in=COUNTY_B,
    )
    statement = only(rows.changes(event))
    assert statement.sql == registry_rows.PUBLISHER
    assert statement.args == (
        f"{COUNTY_A}/office-{COUNTY_B}",
        COUNTY_A,
        "outposted_office",
        KEY,
        ["inflow_registered"],
        COUNTY_B,
        T0,
        event.event_id,
    )


# --- agreements and campaigns -------------------------------------------------------------------


def test_agreement_lifecycle() -> None:
    signed = ev(
        AgreementSigned,
        agreement_id="agr-1",
        origin_county=COUNTY_A,
        destination_county=COUNTY_B,
        effective_from=T0,
        terms=AgreementTerms(arrival_days=20),
    )
    statement = only(rows.changes(signed))
    assert statement.sql == agreement_rows.AGREEMENT_SIGNED
    assert statement.args[:5] == ("agr-1", COUNTY_A, COUNTY_B, T0, None)
    assert json.loads(statement.args[5])["arrival_days"] == 20
    assert statement.args[6:] == (T0, signed.event_id)

    amended = ev(
        AgreementAmended,
        agreement_id="agr-1",
        effective_from=T0 + DAY,
        terms=AgreementTerms(arrival_days=25),
    )
    statement = only(rows.changes(amended))
    assert statement.sql == agreement_rows.AGREEMENT_AMENDED
    assert statement.args[0] == "agr-1"
    assert json.loads(statement.args[1])["arrival_days"] == 25
    assert statement.args[2:] == (T0 + DAY, amended.event_id)

    revoked = ev(AgreementRevoked, agreement_id="agr-1", effective_at=T0 + 2 * DAY)
    assert only(rows.changes(revoked)) == Statement(
        agreement_rows.AGREEMENT_REVOKED, ("agr-1", T0 + 2 * DAY, revoked.event_id)
    )


def test_campaign_lifecycle() -> None:
    opened_ = ev(
        CampaignOpened,
        REGION,
        campaign_id="c-1",
        counties=(COUNTY_A, COUNTY_B),
        period_start=T0,
        period_end=T0 + DAY,
        deadline=T0 + 9 * DAY,
        checks=("stale", "duplicate"),
    )
    assert only(rows.changes(opened_)) == Statement(
        campaign_rows.CAMPAIGN_OPENED,
        ("c-1", [COUNTY_A, COUNTY_B], T0, T0 + DAY, T0 + 9 * DAY, ["stale", "duplicate"], T0),
    )
    extended = ev(CampaignExtended, REGION, campaign_id="c-1", deadline=T0 + 12 * DAY)
    assert only(rows.changes(extended)) == Statement(
        campaign_rows.CAMPAIGN_EXTENDED, ("c-1", T0 + 12 * DAY)
    )
    closed = ev(CampaignClosed, REGION, campaign_id="c-1", early=True)
    assert only(rows.changes(closed)) == Statement(campaign_rows.CAMPAIGN_CLOSED, ("c-1", T0, True))


# --- persons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "county"),
    [
        (
            ev(
                OutflowRegistered,
                person_key=PERSON,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
            COUNTY_B,
        ),
        (
            ev(
                InflowRegistered,
                COUNTY_B,
                person_key=PERSON,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
            COUNTY_B,
        ),
        (
            ev(MovedOn, COUNTY_B, person_key=PERSON, from_county=COUNTY_B, to_county=COUNTY_C),
            COUNTY_C,
        ),
        (
            ev(
                ReturnedHome,
                COUNTY_B,
                person_key=PERSON,
                from_county=COUNTY_B,
                home_county=COUNTY_A,
            ),
            COUNTY_A,
        ),
        (
            ev(
                CaseTakenOver, COUNTY_C, person_key=PERSON, from_county=COUNTY_B, by_county=COUNTY_C
            ),
            COUNTY_C,
        ),
        (
            ev(
                VerificationResultReported,
                person_key=PERSON,
                task_id="t-1",
                result="moved_on",
                moved_to=COUNTY_C,
            ),
            COUNTY_C,
        ),
        (
            ev(
                ArrivalNotFound,
                COUNTY_B,
                person_key=PERSON,
                origin_county=COUNTY_A,
                destination_county=COUNTY_B,
            ),
            None,
        ),
        (
            ev(
                InquirySent,
                person_key=PERSON,
                inquiry_id="q-1",
                to_county=COUNTY_B,
                kind="certificate",
            ),
            None,
        ),
    ],
)
def test_reported_person_events_mark_the_person_seen(event: Any, county: str | None) -> None:
    statement = rows.changes(event)[-1]
    assert statement.sql == person_rows.PERSON_SEEN
    at = T0 if county is not None else None
    assert statement.args == (PERSON, T0, county, at)
    check_arity(rows.changes(event))


def test_derived_person_events_do_not_mark_the_person_seen() -> None:
    for statement in rows.changes(opened()):
        assert statement.sql != person_rows.PERSON_SEEN


def test_records_split_only_marks_the_person_seen() -> None:
    event = ev(RecordsSplit, person_key=PERSON, merged_into="other", task_id="t-1")
    assert only(rows.changes(event)).sql == person_rows.PERSON_SEEN


# --- obligations --------------------------------------------------------------------------------


def test_obligation_opened() -> None:
    event = opened()
    statement = only(rows.changes(event))
    assert statement.sql == obligation_rows.OBLIGATION_OPENED
    assert statement.args == (
        "obl-1",
        PERSON,
        "arrival_registration",
        COUNTY_B,
        COUNTY_A,
        T0,
        T0 + 30 * DAY,
        T0 + 20 * DAY,
        T0 + 40 * DAY,
        False,
        "agr-1",
        event.event_id,
    )


def _update(cls: type[E], **fields: Any) -> E:
    base = {"person_key": PERSON, "obligation_id": "obl-1", "responsible_county": COUNTY_B}
    return ev(cls, REGION, occurred_at=T0 + 31 * DAY, **base, **fields)


@pytest.mark.parametrize(
    ("event", "sql", "tail"),
    [
        (
            _update(ObligationReminded, due_at=T0 + 30 * DAY),
            obligation_rows.OBLIGATION_REMINDED,
            (T0 + 30 * DAY, T0 + 31 * DAY),
        ),
        (
            _update(ObligationFulfilled, late=True, fulfilled_by_publisher=f"{COUNTY_B}/node"),
            obligation_rows.OBLIGATION_FULFILLED,
            (T0 + 31 * DAY, f"{COUNTY_B}/node", True),
        ),
        (
            _update(ObligationBreached, due_at=T0 + 30 * DAY),
            obligation_rows.OBLIGATION_BREACHED,
            (T0 + 30 * DAY, T0 + 31 * DAY),
        ),
        (
            _update(ObligationEscalated, escalated_to=f"{REGION}/region"),
            obligation_rows.OBLIGATION_ESCALATED,
            (T0 + 31 * DAY, f"{REGION}/region"),
        ),
        (
            _update(ObligationCancelled, reason="moved on"),
            obligation_rows.OBLIGATION_CANCELLED,
            (T0 + 31 * DAY, "moved on"),
        ),
    ],
)
def test_obligation_updates(event: Any, sql: str, tail: tuple[Any, ...]) -> None:
    statement = only(rows.changes(event))
    assert statement.sql == sql
    assert statement.args == ("obl-1", PERSON, COUNTY_B, *tail, event.event_id)
    check_arity((statement,))
    # An update for an obligation not yet seen inserts a placeholder row, never loses itself.
    assert statement.sql.lstrip().startswith("INSERT INTO obligations")
    assert "ON CONFLICT (obligation_id) DO UPDATE" in statement.sql


# --- campaign tasks, alerts, coverage, scorecards -----------------------------------------------


def test_verification_task_assigned_and_reported() -> None:
    assigned = ev(
        VerificationTaskAssigned,
        REGION,
        person_key=PERSON,
        task_id="t-1",
        campaign_id="c-1",
        check="stale",
        assignee_county=COUNTY_B,
        due_at=T0 + 9 * DAY,
    )
    assert only(rows.changes(assigned)) == Statement(
        campaign_rows.TASK_ASSIGNED, ("t-1", "c-1", PERSON, "stale", COUNTY_B, T0 + 9 * DAY, T0)
    )
    reported = ev(
        VerificationResultReported,
        COUNTY_B,
        person_key=PERSON,
        task_id="t-1",
        result="duplicate",
        duplicate_of="t-0",
    )
    task, seen = rows.changes(reported)
    assert task == Statement(
        campaign_rows.TASK_REPORTED, ("t-1", PERSON, "duplicate", None, "t-0", T0)
    )
    assert seen.sql == person_rows.PERSON_SEEN


def test_alert_raised() -> None:
    event = ev(
        AlertRaised,
        REGION,
        alert_id="al-1",
        kind="agreement_missing",
        counties=(COUNTY_A, COUNTY_B),
        period="2024-03",
        detail="no agreement",
    )
    assert only(rows.changes(event)) == Statement(
        published_rows.ALERT,
        (
            "al-1",
            "agreement_missing",
            [COUNTY_A, COUNTY_B],
            "2024-03",
            "no agreement",
            T0,
            event.event_id,
        ),
    )


def test_coverage_gives_one_row_per_figure() -> None:
    event = ev(
        AgreementCoveragePublished,
        REGION,
        period="2024-03",
        partition=3,
        figures=(
            CoverageFigure(scope="region", flows=10, covered=8),
            CoverageFigure(
                scope=COUNTY_A,
                flows=4,
                covered=4,
                outflows=3,
                outflows_covered=3,
                inflows=1,
                inflows_covered=1,
            ),
        ),
    )
    region = ("2024-03", 3, "region", 10, 8, None, None, None, None, T0, event.event_id)
    county = ("2024-03", 3, COUNTY_A, 4, 4, 3, 3, 1, 1, T0, event.event_id)
    assert rows.changes(event) == (
        Statement(published_rows.COVERAGE, region),
        Statement(published_rows.COVERAGE, county),
    )
    assert (
        rows.changes(ev(AgreementCoveragePublished, REGION, period="p", partition=0, figures=()))
        == ()
    )


def test_scorecard_published() -> None:
    indicator = IndicatorValue(name="receipt_rate", side="origin", numerator=3, denominator=4)
    event = ev(
        ScorecardPublished,
        REGION,
        county=COUNTY_A,
        period="2024-Q1",
        revision=2,
        reason="late receipt",
        indicators=(indicator,),
        origin_score=75.0,
        destination_score=90.0,
        combined_score=82.5,
    )
    statement = only(rows.changes(event))
    assert statement.sql == published_rows.SCORECARD
    assert statement.args[:7] == (COUNTY_A, "2024-Q1", 2, "late receipt", 75.0, 90.0, 82.5)
    assert json.loads(statement.args[7]) == {
        "indicators": [{"name": "receipt_rate", "side": "origin", "numerator": 3, "denominator": 4}]
    }
    assert statement.args[8:] == (T0, event.event_id)


def test_every_statement_constant_is_parameterized_only() -> None:
    families = (
        archive_rows,
        registry_rows,
        agreement_rows,
        campaign_rows,
        person_rows,
        obligation_rows,
        published_rows,
        rows,
    )
    constants = [
        v
        for family in families
        for k, v in vars(family).items()
        if k.isupper() and isinstance(v, str)
    ]
    assert len(constants) >= 20
    for sql in constants:
        assert "{" not in sql, sql
        assert "%s" not in sql, sql


def test_undecodable_ids_are_uuid5_under_a_fixed_namespace() -> None:
    statement = rows.undecodable(AT, b"", "empty_message", "x", T0)
    expected = uuid.uuid5(rows.UNDECODABLE_NAMESPACE, "liudong.validated:1:42")
    assert statement.args[0] == expected
