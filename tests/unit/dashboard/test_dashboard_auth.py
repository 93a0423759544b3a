"""Password hashing, tokens and user validation of the dashboard (no I/O)."""

from __future__ import annotations

import pytest

from dashboard import auth


def test_hash_verifies_the_password_and_nothing_else() -> None:
    stored = auth.hash_password("s3cret-password", n=2**10)
    assert stored.startswith("scrypt$1024$8$1$")
    assert auth.verify_password("s3cret-password", stored)
    assert not auth.verify_password("s3cret-passwore", stored)
    assert not auth.verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    a = auth.hash_password("same password", n=2**10)
    b = auth.hash_password("same password", n=2**10)
    assert a != b
    assert auth.verify_password("same password", a)
    assert auth.verify_password("same password", b)


def test_a_given_salt_gives_a_known_hash() -> None:
    stored = auth.hash_password("password", salt=b"NaCl" * 4, n=2**10, r=8, p=1)
    assert stored == auth.hash_password("password", salt=b"NaCl" * 4, n=2**10, r=8, p=1)
    assert stored.split("$")[4] == "TmFDbE5hQ2xOYUNsTmFDbA=="


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "pbkdf2$1$2$3$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$1000$8$1$AAAA$AAAA",  # N not a power of two
        "scrypt$4194304$8$1$AAAA$AAAA",  # N beyond the accepted bound
        "scrypt$1024$8$1$not base64!$AAAA",
        "scrypt$1024$8$1$AAAA",
    ],
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not auth.verify_password("anything", stored)


def test_tokens_are_random_and_stored_as_digests() -> None:
    tokens = {auth.new_token() for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    assert len(token) >= 43
    digest = auth.token_digest(token)
    assert len(digest) == 64
    assert token not in digest
    assert auth.token_digest(token) == digest


def test_new_users_are_checked() -> None:
    assert auth.check_new_user("region", "long enough", "region", None) == "region"
    assert auth.check_new_user("hanbin.op", "long enough", "county", "610902") == "county"
    with pytest.raises(auth.AuthError, match="user name"):
        auth.check_new_user("Bad Name", "long enough", "region", None)
    with pytest.raises(auth.AuthError, match="at least"):
        auth.check_new_user("ok", "short", "region", None)
    with pytest.raises(auth.AuthError, match="no county"):
        auth.check_new_user("ok", "long enough", "region", "610902")
    with pytest.raises(auth.AuthError, match="county code"):
        auth.check_new_user("ok", "long enough", "county", None)
    with pytest.raises(auth.AuthError, match="county code"):
        auth.check_new_user("ok", "long enough", "county", "999999")
    with pytest.raises(auth.AuthError, match="role"):
        auth.check_new_user("ok", "long enough", "auditor", None)


def test_principal_scope() -> None:
    assert auth.Principal("r", "region", None).sees_all
    county = auth.Principal("c", "county", "610902")
    assert not county.sees_all
    assert county.as_json() == {"username": "c", "role": "county", "county": "610902"}
