"""Field encryption and blind indexes for sensitive personal data (PIPL).

Each district gets its own keys, derived with HKDF from the master secret
and the tenant id, so one district's ciphertexts and blind indexes mean
nothing in another. Ciphertexts are Fernet tokens under ``MultiFernet``:
the current master secret encrypts, retired ones still decrypt, and
``rotate`` re-encrypts under the current one. A blind index is a keyed
HMAC of the normalised value, for exact lookup without decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.settings import get_settings


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@lru_cache(maxsize=256)
def _fernet(master_keys: tuple[bytes, ...], tenant_id: uuid.UUID) -> MultiFernet:
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(_derive(key, b"quanyu:field:" + tenant_id.bytes)))
            for key in master_keys
        ]
    )


@lru_cache(maxsize=256)
def _index_key(master_key: bytes, tenant_id: uuid.UUID, field: str) -> bytes:
    return _derive(master_key, b"quanyu:blind:" + tenant_id.bytes + b":" + field.encode())


def _keys() -> tuple[bytes, ...]:
    settings = get_settings()
    return _parsed_keys(settings.secret_key, settings.old_secret_keys, settings.var_dir)


@lru_cache(maxsize=8)
def _parsed_keys(secret_key: str, old_secret_keys: str, var_dir: str) -> tuple[bytes, ...]:
    # Every field decryption asks for the keys: parse them (and read the embedded secret file) once per
    # configuration, not once per value (a page of 50 people decrypts 100 values).
    from core.settings import get_settings

    return tuple(get_settings().master_keys())


def encrypt(tenant_id: uuid.UUID, plaintext: str) -> str:
    return _fernet(_keys(), tenant_id).encrypt(plaintext.encode()).decode()


def decrypt(tenant_id: uuid.UUID, token: str) -> str:
    return _fernet(_keys(), tenant_id).decrypt(token.encode()).decode()


def rotate(tenant_id: uuid.UUID, token: str) -> str:
    """Re-encrypt a token under the current master secret."""
    return _fernet(_keys(), tenant_id).rotate(token.encode()).decode()


def blind_index(tenant_id: uuid.UUID, field: str, normalised_value: str) -> str:
    key = _index_key(_keys()[0], tenant_id, field)
    return hmac.new(key, normalised_value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """Hash of a bearer secret (session or one-time token) as stored server-side."""
    return hashlib.sha256(token.encode()).hexdigest()
