"""The committed test vectors (contracts/export/vectors.json) against the code, vector by
vector, and against Node's built-in crypto: what an integrator in any language checks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import contracts
from agents.admission import Admission, Repeat
from agents.gate_rules import Accepted, Rejected
from agents.registry import Registry, RegistryRejection
from contracts import canonical_json, unions
from contracts.identity import InvalidNationalId, person_key
from integrators.contract_vectors import private_key
from streams import routing, signing
from streams.codec import Codec

VECTORS_FILE = Path(contracts.__file__).parent / "export" / "vectors.json"
NODE_CHECK = Path(__file__).parent / "vectors_check.mjs"
VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
KEYS = {k["name"]: k for k in VECTORS["keys"]}


@pytest.mark.parametrize("key", VECTORS["keys"], ids=lambda k: k["name"])
def test_each_seed_gives_its_public_key(key: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed_hex"]))
    assert signing.public_key_b64(private) == key["public_key"]


@pytest.mark.parametrize("case", VECTORS["person_keys"], ids=lambda c: repr(c["national_id"]))
def test_each_person_key_and_partition(case: dict[str, Any]) -> None:
    secret = VECTORS["person_key_secret"].encode()
    if "refused" in case:
        with pytest.raises(InvalidNationalId) as refused:
            person_key(case["national_id"], secret)
        assert str(refused.value) == case["refused"]
        return
    key = person_key(case["national_id"], secret)
    assert key == case["person_key"]
    assert routing.person_partition(key, VECTORS["partitions"]) == case["partition"]


def test_the_person_key_vectors_show_each_normalization() -> None:
    normalized = {c["national_id"] for c in VECTORS["person_keys"] if "person_key" in c}
    assert any(i != i.strip() for i in normalized)  # surrounding spaces
    assert any("\u3000" in i for i in normalized)  # the ideographic space
    assert any("１" in i for i in normalized)  # full-width digits
    assert any(i.strip().endswith("x") for i in normalized)  # lower-case x
    assert len({c["person_key"] for c in VECTORS["person_keys"] if "person_key" in c}) == 3


ALL_MESSAGES = VECTORS["registry"] + VECTORS["county_events"]


@pytest.mark.parametrize("vector", ALL_MESSAGES, ids=lambda v: v["about"])
def test_canonical_bytes_and_signature(vector: dict[str, Any]) -> None:
    try:
        obj = json.loads(vector["value"])
    except json.JSONDecodeError:
        assert "canonical" not in vector
        return
    canonical = canonical_json.canonical_bytes(obj)
    assert canonical == base64.b64decode(vector["canonical_base64"])
    assert canonical.decode() == vector["canonical"]
    if "signed_with" in vector:
        key = private_key(vector["signed_with"])
        assert signing.public_key_b64(key) == KEYS[vector["signed_with"]]["public_key"]
        assert signing.verify(key.public_key(), obj) is vector["signature_verifies"]
        if vector["signature_verifies"]:
            assert signing.sign(key, obj) == obj["signature"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["county_events"] if "partition" in v],
    ids=lambda v: v["about"],
)
def test_person_events_name_their_partition(vector: dict[str, Any]) -> None:
    obj = json.loads(vector["value"])
    assert vector["key"] == obj["person_key"]
    assert (
        routing.person_partition(obj["person_key"], VECTORS["partitions"]) == (vector["partition"])
    )


def _registry() -> Registry:
    registry = Registry("610900", private_key("region").public_key())
    codec: Codec[Any] = Codec(unions.RegistryEvent)
    for vector in VECTORS["registry"]:
        decoded = codec.decode(vector["value"].encode())
        try:
            registry.apply(decoded.event, decoded.raw)
            got: dict[str, Any] = {"outcome": "admitted"}
        except RegistryRejection as exc:
            got = {"outcome": "refused", "reason_code": exc.code, "reason": exc.reason}
        assert got == vector["registry"], vector["about"]
    return registry


def test_the_gate_decides_every_vector_as_recorded() -> None:
    registry = _registry()
    judge = Admission(registry)
    for vector in VECTORS["county_events"]:
        decision = judge.judge(vector["value"].encode())
        if isinstance(decision, Accepted):
            got: dict[str, Any] = {"outcome": "admitted"}
        elif isinstance(decision, Repeat):
            got = {"outcome": "duplicate"}
        else:
            assert isinstance(decision, Rejected)
            got = {"outcome": "refused", "reason_code": decision.code, "reason": decision.reason}
        assert got == vector["gate"], vector["about"]
    assert judge.clock == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_the_vectors_cover_the_gates_refusals() -> None:
    codes = {v["gate"].get("reason_code") for v in VECTORS["county_events"]}
    assert codes >= {
        "bad_signature",
        "missing_signature",
        "county_mismatch",
        "unknown_publisher",
        "unsupported_schema_version",
        "unknown_event_type",
        "out_of_scope",
        "not_a_party",
        "invalid_fields",
        "event_id_reused",
        "clock_skew",
        "key_retired",
        "malformed_json",
    }
    outcomes = {v["gate"]["outcome"] for v in VECTORS["county_events"]}
    assert outcomes == {"admitted", "refused", "duplicate"}


def test_node_reproduces_the_keys_signatures_person_keys_and_partitions() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20 or later) is needed: its built-in crypto checks the vectors")
    result = subprocess.run(
        [node, str(NODE_CHECK), str(VECTORS_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    signed = sum(1 for v in ALL_MESSAGES if v.get("signature_verifies"))
    keyed = sum(1 for c in VECTORS["person_keys"] if "person_key" in c)
    assert result.stdout.strip() == (
        f"ok: {len(VECTORS['keys'])} keys, {keyed} person keys, "
        f"{sum(1 for c in VECTORS['person_keys'] if 'refused' in c)} refused ID numbers, "
        f"{sum(1 for v in ALL_MESSAGES if 'canonical' in v)} canonical forms, "
        f"{signed} signatures, "
        f"{sum(1 for v in VECTORS['county_events'] if 'partition' in v)} partitions"
    )


def test_node_notices_a_wrong_vector(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20 or later) is needed: its built-in crypto checks the vectors")
    broken = json.loads(json.dumps(VECTORS))
    broken["person_keys"][0]["person_key"] = "0" * 64
    path = tmp_path / "vectors.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run(
        [node, str(NODE_CHECK), str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert 'mismatch: person key of "11010519491231002X"' in result.stderr
