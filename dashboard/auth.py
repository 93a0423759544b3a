"""Operators, their password hashes and their session tokens.

Passwords are hashed with scrypt (RFC 7914) under a random 16-byte salt and stored as
``scrypt$N$r$p$salt$hash`` (base64), so the cost can be raised later without breaking old
hashes. A session token is 32 random bytes (URL-safe base64); only its SHA-256 is stored,
so a copy of the table lets no one sign in. Tokens are accepted from the HttpOnly cookie
or an ``Authorization: Bearer`` header. Session expiry is wall-clock time on purpose: it is
access control, not a decision derived from the log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal, get_args

from contracts import divisions

Role = Literal["region", "county"]
ROLES: tuple[Role, ...] = get_args(Role)

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_LEN = 32
_SALT_LEN = 16
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
MIN_PASSWORD = 8
DEFAULT_SESSION_TTL = dt.timedelta(hours=8)


class AuthError(ValueError):
    """A user cannot be created as asked (bad name, role, county or password)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the region sees all; a county operator only what its county is party to."""

    username: str
    role: Role
    county: str | None

    @property
    def sees_all(self) -> bool:
        return self.role == "region"

    def as_json(self) -> dict[str, Any]:
        return {"username": self.username, "role": self.role, "county": self.county}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(
    password: str,
    *,
    salt: bytes | None = None,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> str:
    salt = secrets.token_bytes(_SALT_LEN) if salt is None else salt
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_LEN, maxmem=64 * 2**20
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True iff ``password`` hashes to ``stored``; a malformed ``stored`` never verifies."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16) or n & (n - 1):
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=len(expected),
        maxmem=256 * 2**20,
    )
    return hmac.compare_digest(candidate, expected)


# Verified against when the user does not exist, so both paths cost one scrypt.
_DUMMY_HASH = hash_password("not a password", salt=b"\0" * _SALT_LEN)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_new_user(username: str, password: str, role: str, county: str | None) -> Role:
    """Validate a user before it is stored; returns the role, typed."""
    if not USERNAME.match(username):
        raise AuthError(f"user name must match {USERNAME.pattern}")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"password must have at least {MIN_PASSWORD} characters")
    if role == "region":
        if county is not None:
            raise AuthError("a region operator has no county")
        return "region"
    if role == "county":
        if county is None or divisions.county(county) is None:
            raise AuthError("a county operator needs --county, a current GB/T 2260 county code")
        return "county"
    raise AuthError(f"role must be one of {', '.join(ROLES)}")


# --- storage (asyncpg connections are untyped, hence Any) ---

UPSERT_USER = """
INSERT INTO dashboard_users (username, password_hash, role, county)
VALUES ($1, $2, $3, $4)
ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
    role = EXCLUDED.role, county = EXCLUDED.county, updated_at = now()
RETURNING (xmax = 0) AS created
"""
SELECT_USER = """
SELECT username, password_hash, role, county FROM dashboard_users WHERE username = $1
"""
# Changing a user's password or role ends that user's sessions.
END_USER_SESSIONS = "DELETE FROM dashboard_sessions WHERE username = $1"
INSERT_SESSION = """
INSERT INTO dashboard_sessions (token_hash, username, expires_at) VALUES ($1, $2, $3)
"""
SELECT_SESSION = """
SELECT u.username, u.role, u.county FROM dashboard_sessions s
JOIN dashboard_users u USING (username)
WHERE s.token_hash = $1 AND s.expires_at > now()
"""
DELETE_SESSION = "DELETE FROM dashboard_sessions WHERE token_hash = $1"
PURGE_SESSIONS = "DELETE FROM dashboard_sessions WHERE expires_at <= now()"


async def add_user(
    conn: Any, username: str, password: str, role: str, county: str | None = None
) -> bool:
    """Create the user, or replace its password, role and county; True if it is new."""
    typed = check_new_user(username, password, role, county)
    async with conn.transaction():
        created = await conn.fetchval(UPSERT_USER, username, hash_password(password), typed, county)
        if not created:
            await conn.execute(END_USER_SESSIONS, username)
    return bool(created)


def _principal(row: Any) -> Principal:
    return Principal(username=row["username"], role=row["role"], county=row["county"])


async def authenticate(conn: Any, username: str, password: str) -> Principal | None:
    row = await conn.fetchrow(SELECT_USER, username)
    if row is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return _principal(row) if verify_password(password, row["password_hash"]) else None


async def open_session(
    conn: Any, principal: Principal, ttl: dt.timedelta = DEFAULT_SESSION_TTL
) -> str:
    token = new_token()
    expires = dt.datetime.now(dt.UTC) + ttl
    await conn.execute(PURGE_SESSIONS)
    await conn.execute(INSERT_SESSION, token_digest(token), principal.username, expires)
    return token


async def principal_for(conn: Any, token: str) -> Principal | None:
    row = await conn.fetchrow(SELECT_SESSION, token_digest(token))
    return None if row is None else _principal(row)


async def close_session(conn: Any, token: str) -> None:
    await conn.execute(DELETE_SESSION, token_digest(token))
