"""Ed25519 key files (PKCS#8 PEM, unencrypted, mode 0600) for publishers and the region."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)


class KeyFileError(ValueError):
    """The key file is missing or is not an Ed25519 private key."""


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def load_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} holds a {type(key).__name__}, not Ed25519")
    return key


def person_key_secret(configured: str | None, keys_dir: Path) -> bytes:
    """The configured secret, else one generated once and kept (0600) under ``keys_dir``.

    Either way the key of the person-key HMAC is the UTF-8 bytes of the secret's text (a
    generated one is 64 hex characters, used as that text, not decoded): the contract
    states it so that county systems in any language derive the same person keys."""
    if configured:
        return configured.encode()
    path = keys_dir / "person-key.secret"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
