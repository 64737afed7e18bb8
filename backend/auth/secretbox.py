"""Secrets that must be read back (an IdP's client secret) are stored encrypted, never in clear text."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from backend.auth.tokens import read_or_create_private_file


class SecretBoxError(Exception):
    pass


class SecretBox:
    """Fernet (AES-128-CBC with HMAC-SHA256) over one or more keys: the first encrypts, all decrypt,
    so a key is rotated by putting a new one first and re-encrypting (`rotate`) before dropping the old."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretBoxError("SECRETS_KEY holds no key")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
            self._keys = [base64.urlsafe_b64decode(k.strip().encode()) for k in keys]
        except ValueError as exc:
            raise SecretBoxError("SECRETS_KEY must be comma-separated Fernet keys (32 url-safe base64 bytes)") from exc

    @classmethod
    def from_setting(cls, setting: str | None, key_file: Path) -> SecretBox:
        """From SECRETS_KEY; in development, a key generated once into the data folder."""
        if setting:
            return cls([k for k in setting.split(",") if k.strip()])
        return cls([read_or_create_private_file(key_file, Fernet.generate_key).decode()])

    def derive(self, purpose: str) -> str:
        """A key for one purpose (say, signing CSRF tokens), derived from the current key, so that no
        second secret needs setting and no key serves two purposes."""
        current = self._keys[0]
        return hmac.new(current, purpose.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("a stored secret cannot be decrypted with SECRETS_KEY") from exc

    def rotate(self, ciphertext: str) -> str:
        return self._fernet.rotate(ciphertext.encode()).decode()
