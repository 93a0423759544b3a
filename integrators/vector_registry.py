"""The registry's part of the test vectors: the region registering the counties and a
department, rotating a key, and a county node overstepping, each with what the registry
(``agents.registry``) makes of it."""

from __future__ import annotations

from typing import Any

from agents.registry import Registry, RegistryRejection
from contracts import unions
from contracts.events.registry import (
    CountyRegistered,
    KeyRotated,
    PublisherRegistered,
    RegistryChange,
)
from integrators.vector_cast import (
    DESTINATION,
    KEY_NAMES,
    ORIGIN,
    POLICE,
    RETIRE,
    Signer,
    private_key,
    value,
)
from integrators.vector_signatures import Signatures
from streams import signing
from streams.codec import Codec


def _registry_changes(s: dict[str, Signer]) -> list[tuple[str, dict[str, Any]]]:
    public = {name: signing.public_key_b64(private_key(name)) for name in KEY_NAMES}
    region, origin = s["region"], s["origin_node"]
    return [
        (
            "the region registers the origin county's node",
            region.obj(
                CountyRegistered,
                "county-origin",
                county=ORIGIN,
                name="汉滨区",
                public_key=public["origin_node"],
            ),
        ),
        (
            "the region registers the destination county's node",
            region.obj(
                CountyRegistered,
                "county-destination",
                county=DESTINATION,
                name="宝安区",
                public_key=public["destination_node"],
            ),
        ),
        (
            "the origin's node registers its police department, allowed outflows only",
            origin.obj(
                PublisherRegistered,
                "police",
                county=ORIGIN,
                publisher=POLICE,
                role="police",
                public_key=public["police"],
                event_types=("outflow_registered",),
            ),
        ),
        (
            "the region rotates the police department's key a day later",
            region.obj(
                KeyRotated,
                "police-rotated",
                county=ORIGIN,
                publisher=POLICE,
                public_key=public["police_rotated"],
                effective_at=RETIRE,
            ),
        ),
        (
            "a county node cannot register another county: refused",
            origin.obj(
                CountyRegistered,
                "county-by-a-node",
                county="610921",
                name="汉阴县",
                public_key=public["police"],
            ),
        ),
    ]


def registry_part(vectors: Signatures, registry: Registry) -> list[dict[str, Any]]:
    codec: Codec[Any] = Codec(unions.RegistryEvent)
    out = []
    for about, obj in _registry_changes(vectors.signers):
        sent = value(obj)
        decoded = codec.decode(sent)
        change: RegistryChange = decoded.event
        try:
            registry.apply(change, decoded.raw)
            outcome: dict[str, Any] = {"outcome": "admitted"}
        except RegistryRejection as exc:
            outcome = {"outcome": "refused", "reason_code": exc.code, "reason": exc.reason}
        out.append(
            {
                "about": about,
                "value": sent.decode(),
                "key": obj["county"],
                **vectors.signature_part(obj),
                "registry": outcome,
            }
        )
    return out
