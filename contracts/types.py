"""Constrained scalar types shared by the contracts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from contracts import divisions


def _county(code: str) -> str:
    if divisions.county(code) is None:
        raise ValueError(f"{code} is not a current GB/T 2260 county-level code")
    return code


def _authority(code: str) -> str:
    if divisions.authority(code) is None:
        raise ValueError(f"{code} is not a current GB/T 2260 division code")
    return code


def _utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        # pydantic does not turn OverflowError into a validation error; ValueError it does.
        raise ValueError("instant is out of range once converted to UTC") from None


_SixDigits = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
CountyCode = Annotated[_SixDigits, AfterValidator(_county)]
"""A current county-level division (县级行政区) code."""
AuthorityCode = Annotated[_SixDigits, AfterValidator(_authority)]
"""A current division at any level: a county, or a prefecture or province acting as region."""
PersonKey = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""Keyed hash (HMAC-SHA256, hex) of a normalized national ID number."""
PublicKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]
"""A raw 32-byte Ed25519 public key in standard base64."""
Signature = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{86}==$")]
"""A raw 64-byte Ed25519 signature in standard base64."""
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Instant = Annotated[AwareDatetime, AfterValidator(_utc), Field(strict=False)]
"""An instant with a time zone, normalized to UTC."""
Days = Annotated[int, Field(ge=1, le=3650)]
Fraction = Annotated[float, Field(gt=0.0, lt=1.0, strict=False)]

PublisherRole = Literal["node", "police", "civil_affairs", "health", "outposted_office", "region"]
InquiryKind = Literal["certificate", "urgent", "other"]
ServiceKind = Literal["contraception", "check_up", "prenatal", "pregnancy", "birth"]
MoveReason = Literal["work", "study", "family", "business", "other", "unspecified"]
OriginAnswer = Literal["confirmed", "not_ours"]
InquiryAnswer = Literal["confirmed", "denied", "unknown"]
CheckKind = Literal["lost_contact", "unmatched_arrival", "duplicate", "stale", "revoked_agreement"]
VerificationResult = Literal[
    "present", "moved_on", "returned_home", "not_found", "deceased", "duplicate"
]
