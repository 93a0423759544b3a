"""Test vectors for county integrators: fixed keys and inputs, and what the region makes of
them. Every expected value is computed here by the code that decides live (canonical JSON
and Ed25519 in ``streams.signing``, person keys in ``contracts.identity``, partitions in
``streams.routing``, the registry in ``agents.registry``, the gate's decision in
``agents.gate_rules``), so the file cannot disagree with the code; ``liudong schema export``
writes it as ``vectors.json`` beside the schemas, and the tests check both the file and an
independent implementation (Node's built-in crypto) against it.

The messages are decided in order, as one partition of county-events would see them: the
gate remembers the ids it admitted and its logical clock from one message to the next.
"""

from __future__ import annotations

from typing import Any

from agents.admission import Admission, Judgement, Repeat
from agents.gate_rules import Rejected
from agents.registry import Registry
from contracts.identity import InvalidNationalId
from integrators.vector_cast import (
    KEY_NAMES,
    PARTITIONS,
    PERSON_1,
    PERSON_2,
    PERSON_3,
    REGION,
    SECRET,
    pk,
    private_key,
    seed,
    signers,
)
from integrators.vector_messages import messages
from integrators.vector_registry import registry_part
from integrators.vector_signatures import Signatures
from streams import routing, signing

# The key of a vector, importable with the document (the tests check signatures with it).
__all__ = ["outcome", "private_key", "vectors"]


def _routing(obj: dict[str, Any]) -> dict[str, Any]:
    event_type = obj.get("event_type")
    if event_type in routing.BROADCAST_TYPES:
        return {"broadcast": True}
    person = obj.get("person_key")
    if isinstance(person, str) and len(person) == 64:
        return {"key": person, "partition": routing.person_partition(person, PARTITIONS)}
    return {}


def outcome(decision: Judgement) -> dict[str, Any]:
    """A judgement as the vectors record it (the gate's decision, then the cases' novelty)."""
    if isinstance(decision, Rejected):
        return {"outcome": "refused", "reason_code": decision.code, "reason": decision.reason}
    if isinstance(decision, Repeat):
        return {"outcome": "duplicate"}
    return {"outcome": "admitted"}


def _message_part(vectors: Signatures, registry: Registry) -> list[dict[str, Any]]:
    judge = Admission(registry)
    out = []
    for about, value, obj in messages(vectors.signers):
        decision = judge.judge(value)
        vector: dict[str, Any] = {"about": about, "value": value.decode()}
        if obj is not None:
            vector.update(_routing(obj))
            vector.update(vectors.signature_part(obj))
        vector["gate"] = outcome(decision)
        out.append(vector)
    return out


def _person_keys() -> list[dict[str, Any]]:
    raw_forms = [
        PERSON_3,
        " 11010519491231002x ",
        "\u3000１１０１０５１９４９１２３１００２Ｘ",
        PERSON_1,
        PERSON_2,
        PERSON_3[:17] + "5",
        "110105194902300021",
        "11010519491231002",
    ]
    out: list[dict[str, Any]] = []
    for raw in raw_forms:
        try:
            key = pk(raw)
        except InvalidNationalId as exc:
            out.append({"national_id": raw, "refused": str(exc)})
            continue
        out.append(
            {
                "national_id": raw,
                "person_key": key,
                "partition": routing.person_partition(key, PARTITIONS),
            }
        )
    return out


def vectors() -> dict[str, Any]:
    """The whole vectors document (deterministic: fixed keys, ids and instants)."""
    v = Signatures(signers())
    registry = Registry(REGION, private_key("region").public_key())
    registry_vectors = registry_part(v, registry)
    return {
        "about": __doc__,
        "partitions": PARTITIONS,
        "keys": [
            {
                "name": name,
                "seed_hex": seed(name).hex(),
                "public_key": signing.public_key_b64(private_key(name)),
                "publisher_id": signers()[name].publisher,
            }
            for name in KEY_NAMES
        ],
        "person_key_secret": SECRET,
        "person_keys": _person_keys(),
        "registry": registry_vectors,
        "county_events": _message_part(v, registry),
    }
