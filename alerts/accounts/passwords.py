"""Password hashes: argon2id (RFC 9106 parameters of argon2-cffi), verified in constant time.

An unknown username is checked against a fixed dummy hash, so a wrong username and a wrong
password cost the same time and cannot be told apart from outside.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    # Made on first use, not at import: one argon2id hash (64 MiB) costs 0.1-2 s, which every
    # process importing this module (the CLI's --help, the alerts API's restart) paid before.
    return _hasher.hash("hazardwatch-dummy-password")


class WeakPassword(ValueError):
    """Empty or shorter than MIN_LENGTH."""


def check_strength(password: str) -> None:
    if not password:
        raise WeakPassword("the password is empty")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password is shorter than {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; None (no such account) takes the same time as a miss."""
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
