"""Agreements bind only when both counties (or the region) signed the same; pure, no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Any

from agents.partition_cases import PartitionCases
from contracts.agreement_terms import AgreementBook, AgreementStatus, Defaults, statuses
from contracts.events.agreements import (
    AgreementAmended,
    AgreementRevoked,
    AgreementSigned,
    AgreementTerms,
)
from contracts.events.derived import AlertRaised
from contracts.events.migration import OutflowRegistered
from tests.unit.case_fixtures import BAOAN, HANBIN, HANYIN, REGION, day, make

AGREEMENT = "hanbin-baoan"
SIGNED_AT = day(0)
AMENDED_AT = day(5)


def signature(by: str, at: dt.datetime = SIGNED_AT, **changes: Any) -> AgreementSigned:
    fields: dict[str, Any] = {
        "agreement_id": AGREEMENT,
        "origin_county": HANBIN,
        "destination_county": BAOAN,
        "effective_from": day(0),
        "terms": AgreementTerms(arrival_days=10),
    }
    fields.update(changes)
    publisher = f"{REGION}/region" if by == REGION else None
    return make(AgreementSigned, county=by, at=at, publisher=publisher, person=False, **fields)


def amendment(by: str, at: dt.datetime = AMENDED_AT, days: int = 20) -> AgreementAmended:
    publisher = f"{REGION}/region" if by == REGION else None
    return make(
        AgreementAmended,
        county=by,
        at=at,
        publisher=publisher,
        person=False,
        agreement_id=AGREEMENT,
        effective_from=day(10),
        terms=AgreementTerms(arrival_days=days),
    )


def revocation(by: str, at: dt.datetime) -> AgreementRevoked:
    return make(
        AgreementRevoked, county=by, at=at, person=False, agreement_id=AGREEMENT, effective_at=at
    )


def book_of(*events: Any) -> AgreementBook:
    book = AgreementBook()
    for event in events:
        book = book.apply(event)
    return book


def same_terms(a: AgreementBook, b: AgreementBook) -> bool:
    """Every agreement, pending signature, amendment and revocation alike (the events a
    book remembers, for telling repeats from reused ids, aside)."""
    return (a.agreements, a.pending, a.amendments, a.revocations) == (
        b.agreements,
        b.pending,
        b.amendments,
        b.revocations,
    )


def arrival_days(book: AgreementBook, at: dt.datetime) -> int:
    return book.terms_for(HANBIN, BAOAN, at, Defaults()).arrival_days


def test_one_party_alone_is_pending_and_binds_nobody() -> None:
    book = book_of(signature(HANBIN))
    assert book.in_force(HANBIN, BAOAN, day(1)) is None
    assert arrival_days(book, day(1)) == 30  # the default, not the agreement's 10
    assert book.status(AGREEMENT, day(1)) == AgreementStatus(
        "pending", f"signed by {HANBIN}; awaiting the signature of {BAOAN}"
    )


def test_both_parties_signing_the_same_binds_from_the_effective_instant() -> None:
    book = book_of(signature(HANBIN), signature(BAOAN))
    agreement = book.in_force(HANBIN, BAOAN, day(0))
    assert agreement is not None
    assert agreement.agreement_id == AGREEMENT
    assert arrival_days(book, day(1)) == 10
    assert book.status(AGREEMENT, day(1)) == AgreementStatus("in_force", "signed by both parties")


def test_order_of_the_signatures_does_not_matter() -> None:
    a, b = signature(HANBIN), signature(BAOAN)
    assert book_of(a, b).in_force(HANBIN, BAOAN, day(1)) == book_of(b, a).in_force(
        HANBIN, BAOAN, day(1)
    )


def test_a_late_countersignature_binds_from_its_own_instant() -> None:
    book = book_of(signature(HANBIN), signature(BAOAN, at=day(7)))
    assert book.in_force(HANBIN, BAOAN, day(6)) is None
    assert book.in_force(HANBIN, BAOAN, day(7)) is not None
    assert book.status(AGREEMENT, day(6)) == AgreementStatus(
        "not_yet", f"binds from {day(7).isoformat()}"
    )


def test_different_terms_stay_pending_until_one_party_signs_the_others() -> None:
    ours, theirs = signature(HANBIN), signature(BAOAN, terms=AgreementTerms(arrival_days=20))
    book = book_of(ours, theirs)
    assert book.in_force(HANBIN, BAOAN, day(1)) is None
    assert book.status(AGREEMENT, day(1)) == AgreementStatus(
        "pending", f"{BAOAN} and {HANBIN} signed different terms: both must sign the same"
    )
    agreed = book.apply(signature(HANBIN, at=day(2), terms=AgreementTerms(arrival_days=20)))
    assert arrival_days(agreed, day(3)) == 20


def test_the_region_alone_binds_both() -> None:
    book = book_of(signature(REGION))
    assert arrival_days(book, day(1)) == 10


def test_a_county_that_is_not_a_party_changes_nothing() -> None:
    book = book_of(signature(HANBIN))
    assert same_terms(book.apply(signature(HANYIN)), book)
    both = book.apply(signature(BAOAN))
    assert same_terms(both.apply(amendment(HANYIN)), both)
    assert same_terms(both.apply(revocation(HANYIN, day(3))), both)
    assert both.in_force(HANBIN, BAOAN, day(4)) is not None


def test_repeated_signatures_hand_back_the_same_book() -> None:
    one = book_of(signature(HANBIN))
    assert one.apply(signature(HANBIN)) is one
    both = one.apply(signature(BAOAN))
    assert both.apply(signature(BAOAN)) is both  # a re-delivery after it bound
    assert same_terms(
        both.apply(signature(HANBIN, terms=AgreementTerms())), both
    )  # it bound already


def test_an_amendment_needs_both_parties() -> None:
    signed = book_of(signature(HANBIN), signature(BAOAN))
    half = signed.apply(amendment(HANBIN))
    assert arrival_days(half, day(11)) == 10
    assert half.status(AGREEMENT, day(11)) == AgreementStatus(
        "in_force",
        f"signed by both parties; an amendment from {day(10).isoformat()} awaits the "
        f"signature of {BAOAN}",
    )
    assert half.apply(amendment(HANBIN)) is half
    whole = half.apply(amendment(BAOAN))
    assert arrival_days(whole, day(9)) == 10
    assert arrival_days(whole, day(10)) == 20
    assert whole.apply(amendment(HANBIN)) is whole  # re-delivered once bound
    assert whole.status(AGREEMENT, day(11)) == AgreementStatus("in_force", "signed by both parties")


def test_an_amendment_countersigned_late_applies_from_the_countersignature() -> None:
    book = book_of(
        signature(HANBIN), signature(BAOAN), amendment(HANBIN), amendment(BAOAN, at=day(15))
    )
    assert arrival_days(book, day(14)) == 10
    assert arrival_days(book, day(15)) == 20


def test_the_region_alone_amends() -> None:
    book = book_of(signature(HANBIN), signature(BAOAN), amendment(REGION))
    assert arrival_days(book, day(10)) == 20


def test_either_party_revokes_alone_and_the_earliest_revocation_stands() -> None:
    signed = book_of(signature(HANBIN), signature(BAOAN))
    revoked = signed.apply(revocation(BAOAN, day(20)))
    assert revoked.in_force(HANBIN, BAOAN, day(19)) is not None
    assert revoked.in_force(HANBIN, BAOAN, day(20)) is None
    earlier = revoked.apply(revocation(HANBIN, day(12)))
    assert earlier.in_force(HANBIN, BAOAN, day(12)) is None
    assert same_terms(earlier.apply(revocation(BAOAN, day(30))), earlier)
    assert earlier.status(AGREEMENT, day(13)) == AgreementStatus(
        "revoked", f"revoked from {day(12).isoformat()}"
    )


def test_a_revocation_withdraws_a_pending_agreement() -> None:
    withdrawn = book_of(signature(HANBIN), revocation(HANBIN, day(1)))
    assert withdrawn.status(AGREEMENT, day(2)) == AgreementStatus(
        "revoked", f"withdrawn at {day(1).isoformat()} before both had signed"
    )
    late = withdrawn.apply(signature(BAOAN, at=day(3)))
    assert late.in_force(HANBIN, BAOAN, day(4)) is None


def test_unknown_agreements_have_no_status_and_ignore_amendments() -> None:
    book = AgreementBook()
    assert book.status(AGREEMENT, day(1)) is None
    assert same_terms(book.apply(amendment(HANBIN)), book)
    assert same_terms(book.apply(revocation(HANBIN, day(1))), book)


def _outflow(n: int) -> OutflowRegistered:
    return make(
        OutflowRegistered,
        county=HANBIN,
        at=day(1),
        person=False,
        person_key=f"{n:064x}",
        origin_county=HANBIN,
        destination_county=BAOAN,
    )


def test_coverage_counts_only_agreements_in_force() -> None:
    one_sided = PartitionCases(0, REGION, {})
    one_sided.apply(signature(HANBIN))
    outputs = one_sided.apply(_outflow(1))
    alerts = [o for o in outputs if isinstance(o, AlertRaised)]
    assert [a.kind for a in alerts] == ["agreement_missing"]
    # HANBIN as origin: one flow, its outflow, neither covered.
    assert one_sided.coverage.periods["2026-03"][HANBIN] == [1, 0, 1, 0, 0, 0]

    both = PartitionCases(0, REGION, {})
    both.apply(signature(HANBIN))
    both.apply(signature(BAOAN))
    assert not [o for o in both.apply(_outflow(1)) if isinstance(o, AlertRaised)]
    assert both.coverage.periods["2026-03"][HANBIN] == [1, 1, 1, 1, 0, 0]


def test_statuses_fold_the_events_a_read_model_keeps() -> None:
    other = signature(HANBIN, agreement_id="hanbin-hanyin", destination_county=HANYIN)
    found = statuses([signature(HANBIN), other, signature(BAOAN)], day(1))
    assert found == {
        AGREEMENT: AgreementStatus("in_force", "signed by both parties"),
        "hanbin-hanyin": AgreementStatus(
            "pending", f"signed by {HANBIN}; awaiting the signature of {HANYIN}"
        ),
    }
