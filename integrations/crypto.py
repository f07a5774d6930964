"""Secrets at rest: API connection credentials and webhook signing secrets.

Encrypted with Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet: the first key of
FIELD_ENCRYPTION_KEYS encrypts, every key decrypts, so keys rotate by putting a new one first
and running `manage.py rotate_encryption_keys`.
"""

import base64
from collections.abc import Iterable
from functools import cache

from django.conf import settings

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode() if plaintext else ""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("A stored secret cannot be decrypted with the configured keys.") from exc


def secret_rotate(token: str) -> str:
    """The same secret, encrypted with the current first key."""
    return _current().rotate(token.encode()).decode() if token else ""


def secret_mask(plaintext: str) -> str:
    """What the API shows of a secret: its last four characters at most."""
    if not plaintext:
        return ""
    return "…" + plaintext[-4:] if len(plaintext) > 8 else "…"


REDACTED = "***"


def secret_redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each (non-empty) secret replaced by REDACTED."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def basic_auth_token(username: str, secret: str) -> str:
    """The credentials part of an HTTP Basic Authorization header."""
    return base64.b64encode(f"{username}:{secret}".encode()).decode()
