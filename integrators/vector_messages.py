"""The county-events part of the test vectors: the messages, in the order one partition of
county-events sees them (the gate remembers admitted ids and its clock from one to the
next), built per family: what is admitted, repeats and forgeries, schema versions and types,
who may publish what, and the ids, the clock and the keys over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from contracts.events.agreements import AgreementSigned
from contracts.events.clock import ClockTicked
from contracts.events.migration import InflowRegistered, OutflowRegistered
from contracts.publishers import node_id
from integrators.vector_cast import (
    DESTINATION,
    ORIGIN,
    PERSON_1,
    PERSON_2,
    PERSON_3,
    RETIRE,
    T0,
    Signer,
    event_id,
    pk,
    value,
)

Case = tuple[str, dict[str, Any]]  # (what it shows, the JSON object sent)


@dataclass(frozen=True)
class Scene:
    """The publishers and the persons the cases share, and the origin's first outflow, which
    several cases send again, altered."""

    region: Signer
    origin: Signer
    dest: Signer
    police: Signer
    rotated: Signer
    p1: str
    p2: str
    p3: str
    outflow: dict[str, Any]


def messages(s: dict[str, Signer]) -> list[tuple[str, bytes, dict[str, Any] | None]]:
    """(what it shows, the exact bytes sent, the JSON object when it is one)."""
    scene = _scene(s)
    cases = [
        *_admitted(scene),
        *_repeats_and_forgeries(scene),
        *_schema(scene),
        *_scope(scene),
        *_ids_clock_and_keys(scene),
    ]
    sent: list[tuple[str, bytes, dict[str, Any] | None]] = [
        (about, value(obj), obj) for about, obj in cases
    ]
    sent.append(("not JSON: refused", b'{"event_type": "outflow_registered", ', None))
    return sent


def _scene(s: dict[str, Signer]) -> Scene:
    origin = s["origin_node"]
    p1 = pk(PERSON_1)
    outflow = origin.obj(
        OutflowRegistered,
        "outflow-1",
        at=T0 + dt.timedelta(hours=9),
        person_key=p1,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
        reason="work",
    )
    return Scene(
        region=s["region"],
        origin=origin,
        dest=s["destination_node"],
        police=s["police"],
        rotated=s["police_rotated"],
        p1=p1,
        p2=pk(PERSON_2),
        p3=pk(PERSON_3),
        outflow=outflow,
    )


def _admitted(s: Scene) -> list[Case]:
    agreement: dict[str, Any] = {
        "agreement_id": f"agr-{ORIGIN}-{DESTINATION}",
        "origin_county": ORIGIN,
        "destination_county": DESTINATION,
        "effective_from": T0,
        "terms": {"arrival_days": 20, "remind_fraction": 0.25},
    }
    v1 = s.origin.sign(
        {
            **{k: v for k, v in s.outflow.items() if k not in ("destination_county", "reason")},
            "event_id": str(event_id("outflow-v1")),
            "correlation_id": str(event_id("outflow-v1")),
            "schema_version": 1,
            "person_key": s.p2,
            "to_county": DESTINATION,
        }
    )
    return [
        (
            "the region's clock tick: admitted, and the partition's clock is now T0",
            s.region.obj(ClockTicked, "tick-0"),
        ),
        (
            "the origin signs an agreement: admitted, but it binds only once both have signed",
            s.origin.obj(AgreementSigned, "agreement-origin", **agreement),
        ),
        (
            "the destination signs the same agreement: admitted, and the agreement now binds",
            s.dest.obj(AgreementSigned, "agreement-destination", **agreement),
        ),
        ("an outflow (schema version 2) from the origin's node: admitted", s.outflow),
        ("an outflow at schema version 1 (to_county, no reason): admitted and upcast", v1),
        (
            "the destination registers the arrival: admitted",
            s.dest.obj(
                InflowRegistered,
                "inflow-1",
                at=T0 + dt.timedelta(hours=12),
                person_key=s.p1,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the origin's police, in scope, before its key was rotated: admitted",
            s.police.obj(
                OutflowRegistered,
                "police-outflow",
                at=T0 + dt.timedelta(hours=10),
                person_key=s.p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
    ]


def _repeats_and_forgeries(s: Scene) -> list[Case]:
    unsigned = s.origin.obj(
        OutflowRegistered,
        "unsigned",
        person_key=s.p2,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
    )
    as_destination = s.dest.obj(
        InflowRegistered,
        "mismatch",
        person_key=s.p2,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
    )
    return [
        ("the same outflow sent again: a duplicate, dropped", s.outflow),
        (
            "the outflow's destination changed after signing: refused",
            {**s.outflow, "event_id": str(event_id("tampered")), "destination_county": "610921"},
        ),
        ("no signature: refused", {k: v for k, v in unsigned.items() if k != "signature"}),
        (
            "the origin's node key signing as the destination county: refused",
            s.origin.sign({**as_destination, "publisher_id": node_id(ORIGIN)}),
        ),
        (
            "a publisher nobody registered: refused",
            s.origin.sign(
                {
                    **s.outflow,
                    "event_id": str(event_id("unknown")),
                    "publisher_id": f"{ORIGIN}/archive",
                }
            ),
        ),
    ]


def _schema(s: Scene) -> list[Case]:
    outflow = s.outflow
    mixed = s.origin.sign({**outflow, "event_id": str(event_id("mixed")), "schema_version": 1})
    return [
        ("version 1 with version-2 field names: refused, naming the versions", mixed),
        (
            "a schema version this region does not know: refused",
            s.origin.sign({**outflow, "event_id": str(event_id("v3")), "schema_version": 3}),
        ),
        (
            "an event type with a typo: refused",
            s.origin.sign(
                {**outflow, "event_id": str(event_id("typo")), "event_type": "outflow_registred"}
            ),
        ),
    ]


def _scope(s: Scene) -> list[Case]:
    return [
        (
            "the police publishing an arrival, outside its scope: refused",
            s.police.obj(
                InflowRegistered,
                "police-inflow",
                person_key=s.p3,
                origin_county=DESTINATION,
                destination_county=ORIGIN,
            ),
        ),
        (
            "the destination registering the origin's outflow: refused",
            s.dest.obj(
                OutflowRegistered,
                "not-a-party",
                person_key=s.p2,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "a county code that does not exist: refused",
            s.origin.sign(
                {**s.outflow, "event_id": str(event_id("bad-code")), "destination_county": "999999"}
            ),
        ),
    ]


def _ids_clock_and_keys(s: Scene) -> list[Case]:
    after_rotation = RETIRE + dt.timedelta(hours=1)
    return [
        (
            "an admitted event's id on other content: refused",
            s.origin.sign({**s.outflow, "reason": "study"}),
        ),
        (
            "three days past the partition's clock: refused",
            s.origin.obj(
                OutflowRegistered,
                "far-future",
                at=T0 + dt.timedelta(days=3),
                person_key=s.p2,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the police's old key after its rotation: refused",
            s.police.obj(
                OutflowRegistered,
                "old-police-key",
                at=after_rotation,
                person_key=s.p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
        (
            "the police's new key: admitted",
            s.rotated.obj(
                OutflowRegistered,
                "new-police-key",
                at=after_rotation,
                person_key=s.p3,
                origin_county=ORIGIN,
                destination_county=DESTINATION,
            ),
        ),
    ]
