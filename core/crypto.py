"""Field encryption and blind indexes for sensitive personal data (PIPL).

Each district gets its own keys, derived with HKDF from the master secret
and the tenant id, so one district's ciphertexts and blind indexes mean
nothing in another. Ciphertexts are Fernet tokens under ``MultiFernet``:
the current master secret encrypts, retired ones still decrypt, and
``rotate`` re-encrypts under the current one. A blind index is a keyed
HMAC of the normalised value, for exact lookup without decrypting; it is
keyed by the current secret only, so a rotation must recompute it.

``ENCRYPTED_COLUMNS`` and ``ENCRYPTED_JOB_PAYLOADS`` list every place a
token from ``encrypt`` is stored: ``quanyu keys rotate`` (core/keys.py) and
the re-keying of an imported copy (core/tenancy/archive.py) walk them, and
tests/test_key_rotation.py fails when a new one is not listed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.settings import get_settings

# Columns holding ciphertext, by table, each with the blind index column computed from the same
# plaintext (None: not searchable) and the field name the index is keyed with.
ENCRYPTED_COLUMNS: dict[str, dict[str, tuple[str | None, str]]] = {
    "person": {
        "id_card_encrypted": ("id_card_index", "id_card"),
        "phone_encrypted": ("phone_index", "phone"),
    },
    "app_user": {"email_encrypted": (None, "email"), "totp_secret_encrypted": (None, "totp_secret")},
    "person_data_request": {"changes_encrypted": (None, "data_request")},
}
# Job payload keys holding ciphertext, by job name (the outbox row's ``payload``, encrypted with the
# key of the row's tenant): invitation and reset tokens on their way to the email job.
ENCRYPTED_JOB_PAYLOADS: dict[str, tuple[str, ...]] = {"auth.token_email": ("token",)}


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


def decrypt_noting_key(tenant_id: uuid.UUID, token: str) -> tuple[str, bool] | None:
    """The plaintext and whether the current master secret encrypted it; None if no configured secret can."""
    keys = _keys()
    try:
        return _fernet(keys[:1], tenant_id).decrypt(token.encode()).decode(), True
    except InvalidToken:
        pass
    if len(keys) == 1:
        return None
    try:
        return _fernet(keys[1:], tenant_id).decrypt(token.encode()).decode(), False
    except InvalidToken:
        return None


def blind_index(tenant_id: uuid.UUID, field: str, normalised_value: str) -> str:
    key = _index_key(_keys()[0], tenant_id, field)
    return hmac.new(key, normalised_value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=256)
def _audit_key(master_key: bytes, tenant_id: uuid.UUID) -> bytes:
    return _derive(master_key, b"quanyu:audit:" + tenant_id.bytes)


def audit_keys(tenant_id: uuid.UUID) -> tuple[bytes, ...]:
    """The district's audit-chain MAC keys: the current master secret's first, then retired ones' (records
    signed before a rotation verify until ``quanyu audit reseal`` signs them again)."""
    return tuple(_audit_key(key, tenant_id) for key in _keys())


def token_hash(token: str) -> str:
    """Hash of a bearer secret (session or one-time token) as stored server-side."""
    return hashlib.sha256(token.encode()).hexdigest()
