"""Ed25519 signatures over a canonical JSON form, so any language can sign and verify.

Canonical form: :func:`contracts.canonical_json.canonical_bytes`. The gate recomputes it
from the received bytes.

Signing keys stay ``cryptography`` objects (PEM files, ``liudong keys``); verification runs
on libsodium (PyNaCl), about 1.8x faster per signature on the machines measured, and
releasing the GIL while it works: :class:`Verifier` checks a batch's signatures on other
cores while the event loop goes on with the batch's other work.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from contracts.canonical_json import canonical_bytes

# What the registry holds for a publisher: libsodium's key, as load_public_key makes it; a
# ``cryptography`` key (as a test may hold) is turned into one when it is used.
PublicKey = VerifyKey | Ed25519PublicKey

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def sign(private_key: Ed25519PrivateKey, obj: dict[str, Any]) -> str:
    return base64.b64encode(private_key.sign(canonical_bytes(obj))).decode()


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    return encode_public_key(private_key.public_key())


def encode_public_key(public_key: PublicKey) -> str:
    """The raw 32-byte public key in standard base64, as the registry carries it."""
    if isinstance(public_key, VerifyKey):
        return base64.b64encode(bytes(public_key)).decode()
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_public_key(b64: str) -> VerifyKey:
    """A raw 32-byte Ed25519 public key from base64; ValueError if it is not one."""
    raw = base64.b64decode(b64)
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return VerifyKey(raw)


def verify(public_key: PublicKey, obj: dict[str, Any]) -> bool:
    """Whether ``obj["signature"]`` is the key's signature of ``obj``'s canonical form."""
    check = prepare(public_key, obj)
    return check is not None and check.run()


@dataclass(frozen=True, slots=True)
class Check:
    """One signature to check: everything taken from the event, nothing left to parse."""

    key: VerifyKey
    signature: bytes
    message: bytes

    def run(self) -> bool:
        try:
            self.key.verify(self.message, self.signature)
        except BadSignatureError:
            return False
        return True


def prepare(public_key: PublicKey, obj: dict[str, Any]) -> Check | None:
    """The check for ``obj``'s signature, or None when it cannot verify at all (no
    signature, not base64, not 64 bytes): the JSON work, done on the caller's thread."""
    signature = obj.get("signature")
    if not isinstance(signature, str):
        return None
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        return None
    if len(raw) != SIGNATURE_BYTES:
        return None
    return Check(_verify_key(public_key), raw, canonical_bytes(obj))


def _verify_key(public_key: PublicKey) -> VerifyKey:
    if isinstance(public_key, VerifyKey):
        return public_key
    return VerifyKey(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def spare_cores() -> int:
    """Cores this process may use beyond the one running its event loop."""
    return max(0, len(os.sched_getaffinity(0)) - 1)


class Verifier:
    """Checks many signatures at once: in ``threads`` threads (libsodium releases the GIL,
    so they run beside the event loop), or inline when there is no core to spare.

    The caller prepares the checks (:func:`prepare`, JSON work that needs the GIL anyway),
    starts :meth:`run` and may do other work before awaiting it; verdicts come back in the
    order of the checks.
    """

    def __init__(self, threads: int | None = None, *, chunk: int = 64) -> None:
        self.threads = spare_cores() if threads is None else threads
        self.chunk = chunk
        self._pool: Executor | None = (
            ThreadPoolExecutor(self.threads, thread_name_prefix="verify") if self.threads else None
        )

    def run(self, checks: Sequence[Check | None]) -> asyncio.Future[list[bool]]:
        """Every check's verdict (None: False), as a future of the running loop."""
        loop = asyncio.get_running_loop()
        if self._pool is None or len(checks) < 2:
            done: asyncio.Future[list[bool]] = loop.create_future()
            done.set_result(_verdicts(checks))
            return done
        # Chunks rather than one task per signature: a task costs about what a verify does.
        size = max(1, min(self.chunk, -(-len(checks) // self.threads)))
        parts = [
            loop.run_in_executor(self._pool, _verdicts, checks[i : i + size])
            for i in range(0, len(checks), size)
        ]
        return asyncio.ensure_future(_joined(parts))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _verdicts(checks: Sequence[Check | None]) -> list[bool]:
    return [check is not None and check.run() for check in checks]


async def _joined(parts: Sequence[asyncio.Future[list[bool]]]) -> list[bool]:
    out: list[bool] = []
    for part in await asyncio.gather(*parts):
        out.extend(part)
    return out
