"""Where each agreement stands, as the dashboard lists it: folded by the agents' own book,
with what a pending one waits for (pure, no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.events.agreements import AgreementSigned, AgreementTerms
from dashboard import agreement_view
from dashboard.auth import Principal
from streams.county_node import CountyNode

T = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HANBIN, BAOAN, HANYIN, YANTA = "610902", "440306", "610921", "610113"


def node(county: str, region: bool = False) -> CountyNode:
    return CountyNode(
        county=county,
        publisher_id=f"{county}/region" if region else None,
        private_key=Ed25519PrivateKey.generate(),
        person_key_secret=b"",
        bootstrap_servers="127.0.0.1:1",
    )


def signed(by: str, agreement: str, origin: str, destination: str, **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "agreement_id": agreement,
        "origin_county": origin,
        "destination_county": destination,
        "effective_from": T,
        **changes,
    }
    return node(by, region=by == "610900").build(AgreementSigned, occurred_at=T, **fields)


def test_pending_in_force_and_signed_differently() -> None:
    events = [
        signed(HANBIN, "a-1", HANBIN, BAOAN),  # one party only
        signed(HANYIN, "a-2", HANYIN, YANTA),
        signed(YANTA, "a-2", HANYIN, YANTA),  # both: in force
        signed(HANBIN, "a-3", HANBIN, YANTA),
        signed(YANTA, "a-3", HANBIN, YANTA, terms=AgreementTerms(arrival_days=20)),
    ]
    at = T + dt.timedelta(days=1)
    by_id = {s.agreement_id: s for s in agreement_view.standings(events, at)}
    assert by_id["a-1"].state == "pending"
    assert (by_id["a-1"].signed_by, by_id["a-1"].awaiting) == ((HANBIN,), (BAOAN,))
    assert by_id["a-1"].reason == f"signed by {HANBIN}; awaiting the signature of {BAOAN}"
    assert by_id["a-2"].state == "in_force"
    assert by_id["a-3"].state == "pending"
    assert by_id["a-3"].differing == ("terms",)
    assert by_id["a-3"].awaiting == ()


def test_a_county_sees_the_agreements_it_is_party_to() -> None:
    events = [signed(HANBIN, "a-1", HANBIN, BAOAN), signed(HANYIN, "a-2", HANYIN, YANTA)]
    everything = agreement_view.standings(events, T)
    region = agreement_view.page(everything, Principal("r", "region", None), "pending", 0, 20)
    assert (region["total"], region["counts"]["pending"]) == (2, 2)
    hanbin = agreement_view.page(everything, Principal("h", "county", HANBIN), None, 0, 20)
    assert [i["agreement_id"] for i in hanbin["items"]] == ["a-1"]
    assert hanbin["names"][BAOAN]["zh"] == "宝安区"
    second = agreement_view.page(everything, Principal("r", "region", None), None, 1, 1)
    assert [i["agreement_id"] for i in second["items"]] == ["a-2"]


def test_payloads_from_the_archive_decode_and_fold() -> None:
    event = signed(HANBIN, "a-1", HANBIN, BAOAN)
    payload = event.model_dump_json()
    folded = agreement_view.fold([payload, '{"event_type": "agreement_signed"}'], None)
    assert [(s.agreement_id, s.state) for s in folded] == [("a-1", "pending")]
