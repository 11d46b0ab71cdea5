"""The format of API keys: ``ek_`` + an 8-character public prefix + ``.`` + 43 secret characters."""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

_PREFIX_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class NewKey:
    key: str
    prefix: str
    secret_hash: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> NewKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    key = f"ek_{prefix}.{secrets.token_urlsafe(32)}"
    return NewKey(key=key, prefix=prefix, secret_hash=hash_key(key))


def key_prefix(key: str) -> str | None:
    """The prefix a presented key claims, or None if it is not shaped like one of our keys."""
    if len(key) > 100 or not key.startswith("ek_") or key[11:12] != ".":
        return None
    return key[3:11]


def key_matches(key: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), secret_hash)
