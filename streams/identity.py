"""Person keys: a keyed hash of the normalized national ID, computed at the county node."""

from __future__ import annotations

import hashlib
import hmac

from contracts.identity import normalize_national_id


def person_key(national_id: str, secret: bytes) -> str:
    """HMAC-SHA256 of the normalized number; raises InvalidNationalId for a bad number."""
    return hmac.new(secret, normalize_national_id(national_id).encode(), hashlib.sha256).hexdigest()
