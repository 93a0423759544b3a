"""Which key made each signature of the test vectors, and the canonical bytes and signature
check a vector records for a message."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from contracts import canonical_json
from integrators.vector_cast import Signer, private_key
from streams import signing


@dataclass
class Signatures:
    signers: dict[str, Signer]
    made: dict[str, str] = field(default_factory=dict)  # every signature made -> key name

    def __post_init__(self) -> None:
        for signer in self.signers.values():
            signer.made = self.made

    def signature_part(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The canonical bytes, and which key made the signature and whether it verifies."""
        canonical = canonical_json.canonical_bytes(obj)
        part: dict[str, Any] = {
            "canonical": canonical.decode(),
            "canonical_base64": base64.b64encode(canonical).decode(),
        }
        signature = obj.get("signature")
        key = self.made.get(signature) if isinstance(signature, str) else None
        if key is not None:
            part["signed_with"] = key
            part["signature_verifies"] = signing.verify(private_key(key).public_key(), obj)
        return part
