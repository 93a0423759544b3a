"""The region's own identity: its division code and the key that roots all trust."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.settings import Settings
from streams.keys import generate_key_file, load_key_file
from streams.signing import public_key_b64


def region_key_path(settings: Settings) -> Path:
    return settings.keys_dir / "region.pem"


def region_private_key(settings: Settings, *, create: bool = False) -> Ed25519PrivateKey:
    path = region_key_path(settings)
    if create and not path.exists():
        return generate_key_file(path)
    return load_key_file(path)


def region_public_key(settings: Settings) -> str:
    """The configured public key; else the one of the region key file under ``home``."""
    if settings.region_public_key:
        return settings.region_public_key
    return public_key_b64(region_private_key(settings))
