"""Signature checks on libsodium accept exactly what the ``cryptography`` checks accepted.

RFC 8032's test vectors; every single-byte corruption of a signature, a non-canonical S,
another key, changed content and malformed signatures, each judged by both libraries; and
the batch verifier's verdicts, in order, equal to one-at-a-time checks.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts import canonical_json
from streams import signing

# RFC 8032, section 7.1: (public key, message, signature), hex.
RFC8032 = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]  # fmt: skip

# The order of the Ed25519 group: S + L is the same scalar, but not in canonical form.
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493


def signed(key: Ed25519PrivateKey, **fields: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"event_type": "outflow_registered", "county": "610902", **fields}
    obj["signature"] = signing.sign(key, obj)
    return obj


def reference(public_key: Ed25519PublicKey, obj: dict[str, Any]) -> bool:
    """The check as it was made with ``cryptography``."""
    sig = obj.get("signature")
    if not isinstance(sig, str):
        return False
    try:
        public_key.verify(base64.b64decode(sig, validate=True), canonical_json.canonical_bytes(obj))
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.mark.parametrize(("public", "message", "signature"), RFC8032)
def test_rfc8032_vectors_verify(public: str, message: str, signature: str) -> None:
    key = signing.load_public_key(base64.b64encode(bytes.fromhex(public)).decode())
    check = signing.Check(key, bytes.fromhex(signature), bytes.fromhex(message))
    assert check.run()
    corrupted = bytearray(bytes.fromhex(signature))
    corrupted[0] ^= 1
    assert not signing.Check(key, bytes(corrupted), bytes.fromhex(message)).run()


def corruptions(obj: dict[str, Any], other: Ed25519PrivateKey) -> list[dict[str, Any]]:
    raw = base64.b64decode(obj["signature"])
    out = []
    for i in range(len(raw)):
        for bit in (0x01, 0x80):
            flipped = bytearray(raw)
            flipped[i] ^= bit
            out.append({**obj, "signature": base64.b64encode(bytes(flipped)).decode()})
    s = int.from_bytes(raw[32:], "little") + GROUP_ORDER
    if s < 2**256:
        noncanonical = raw[:32] + s.to_bytes(32, "little")
        out.append({**obj, "signature": base64.b64encode(noncanonical).decode()})
    out.append({**obj, "county": "610921"})  # content changed after signing
    out.append({**obj, "signature": signing.sign(other, obj)})  # another key's signature
    out.append({**obj, "signature": base64.b64encode(raw[:63]).decode()})  # 63 bytes
    out.append({**obj, "signature": base64.b64encode(raw + b"\0").decode()})  # 65 bytes
    out.append({**obj, "signature": ""})
    out.append({**obj, "signature": "not base64!"})
    out.append({**obj, "signature": 42})
    out.append({k: v for k, v in obj.items() if k != "signature"})
    return out


def test_libsodium_accepts_exactly_what_cryptography_accepted() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    obj = signed(key, name="汉滨区", nested={"b": 1, "a": [1, 2]})
    loaded = signing.load_public_key(signing.public_key_b64(key))
    assert signing.verify(loaded, obj) is reference(key.public_key(), obj) is True
    cases = corruptions(obj, other)
    assert len(cases) > 128
    for case in cases:
        assert signing.verify(loaded, case) is reference(key.public_key(), case) is False, case


def test_a_cryptography_public_key_still_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    obj = signed(key)
    assert signing.verify(key.public_key(), obj)
    assert not signing.verify(Ed25519PrivateKey.generate().public_key(), obj)


@pytest.mark.parametrize("bad", ["", "AAAA", base64.b64encode(b"\1" * 33).decode()])
def test_a_public_key_of_the_wrong_size_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signing.load_public_key(bad)


@pytest.mark.parametrize("threads", [0, 1, 3])
async def test_the_verifier_gives_each_verdict_in_order(threads: int) -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = signing.load_public_key(signing.public_key_b64(key))
    objs = [signed(key, n=i) for i in range(40)]
    objs[3] = {**objs[3], "n": -1}
    objs[17] = copy.deepcopy(objs[17])
    objs[17]["signature"] = signing.sign(other, objs[17])
    objs[30] = {k: v for k, v in objs[30].items() if k != "signature"}
    checks = [signing.prepare(public, obj) for obj in objs]
    assert checks[30] is None
    verifier = signing.Verifier(threads, chunk=7)
    try:
        verdicts = await verifier.run(checks)
    finally:
        verifier.close()
    assert verdicts == [signing.verify(public, obj) for obj in objs]
    assert [i for i, ok in enumerate(verdicts) if not ok] == [3, 17, 30]


async def test_the_verifier_takes_an_empty_batch() -> None:
    verifier = signing.Verifier(2)
    try:
        assert await verifier.run([]) == []
    finally:
        verifier.close()
