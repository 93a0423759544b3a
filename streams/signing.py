"""Ed25519 signatures over a canonical JSON form, so any language can sign and verify.

Canonical form: the event's JSON object without ``signature``, keys sorted, no whitespace,
UTF-8, non-ASCII kept as is. The gate recomputes it from the received bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def canonical_bytes(obj: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in obj.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(private_key: Ed25519PrivateKey, obj: dict[str, Any]) -> str:
    return base64.b64encode(private_key.sign(canonical_bytes(obj))).decode()


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    return encode_public_key(private_key.public_key())


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in standard base64, as the registry carries it."""
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64))


def verify(public_key: Ed25519PublicKey, obj: dict[str, Any]) -> bool:
    signature = obj.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical_bytes(obj))
    except (InvalidSignature, ValueError):
        return False
    return True
