"""Payload encryption for everything Traject sends through Temporal (AES-256-GCM, key ids).

Workflow inputs, update arguments, activity payloads and results, queries and failure messages are
encrypted before they leave the process, so the Temporal server and its database only hold
ciphertext. Each payload names its key id: add a new key in front to rotate, and old payloads still
decrypt with the keys behind it. A payload without the encrypted encoding passes through unchanged
(histories recorded before encryption was switched on still read).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class CodecError(Exception):
    """A payload that cannot be decrypted: unknown key id or tampered data."""


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        """`keys`: (id, 32-byte key) pairs, the first one encrypts, all of them decrypt."""
        if not keys:
            raise CodecError("at least one encryption key is needed")
        for key_id, key in keys:
            if len(key) != 32:
                raise CodecError(f"key '{key_id}' is {len(key)} bytes; AES-256 needs 32")
        self.active = keys[0][0]
        self.ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(12)
        sealed = self.ciphers[self.active].encrypt(
            nonce, payload.SerializeToString(), self.active.encode()
        )
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self.active.encode()}, data=nonce + sealed
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode()
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise CodecError(f"no key '{key_id}' to decrypt with; known: {sorted(self.ciphers)}")
        try:
            plain = cipher.decrypt(payload.data[:12], payload.data[12:], key_id.encode())
        except Exception as error:  # InvalidTag: wrong key or tampered data
            raise CodecError(f"payload under key '{key_id}' does not decrypt") from error
        return Payload.FromString(plain)


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """Pydantic payloads, encrypted by `codec`, with failure messages encrypted too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """`id:base64key,id:base64key` (the first encrypts), as TRAJECT_ENCRYPTION_KEYS holds them."""
    keys = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, _, encoded = item.partition(":")
        try:
            keys.append((key_id, base64.b64decode(encoded, validate=True)))
        except ValueError as error:
            raise CodecError(f"key '{key_id}' is not base64: {error}") from None
    return keys


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def local_keys(path: Path) -> list[tuple[str, bytes]]:
    """The embedded default's keys, made on first use and kept beside its data (mode 600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([["k1", base64.b64encode(new_key()).decode()]]))
        path.chmod(0o600)
    stored: Iterable[list[str]] = json.loads(path.read_text())
    return [(key_id, base64.b64decode(encoded)) for key_id, encoded in stored]
