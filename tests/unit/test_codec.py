"""Payload encryption: round trips, key rotation, refusals."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from traject.codec import CodecError, EncryptionCodec, local_keys, new_key, parse_keys

PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"first_name": "Amina"}')


async def test_a_payload_round_trips_and_is_unreadable_in_between() -> None:
    codec = EncryptionCodec([("k1", new_key())])
    (sealed,) = await codec.encode([PLAIN])
    assert b"Amina" not in sealed.data and sealed.metadata["encryption-key-id"] == b"k1"
    assert await codec.decode([sealed]) == [PLAIN]


async def test_rotation_encrypts_with_the_new_key_and_still_reads_the_old() -> None:
    old, new = ("k1", new_key()), ("k2", new_key())
    (under_old,) = await EncryptionCodec([old]).encode([PLAIN])
    rotated = EncryptionCodec([new, old])
    (under_new,) = await rotated.encode([PLAIN])
    assert under_new.metadata["encryption-key-id"] == b"k2"
    assert await rotated.decode([under_old, under_new]) == [PLAIN, PLAIN]


async def test_unknown_keys_and_tampering_are_refused() -> None:
    (sealed,) = await EncryptionCodec([("k1", new_key())]).encode([PLAIN])
    with pytest.raises(CodecError, match="no key 'k1'"):
        await EncryptionCodec([("k2", new_key())]).decode([sealed])
    tampered = Payload(
        metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    )
    with pytest.raises(CodecError, match="does not decrypt"):
        await EncryptionCodec([("k1", new_key())]).decode([tampered])


async def test_unencrypted_payloads_pass_through() -> None:
    assert await EncryptionCodec([("k1", new_key())]).decode([PLAIN]) == [PLAIN]


def test_keys_from_the_environment() -> None:
    key = new_key()
    text = f"k2:{base64.b64encode(key).decode()}, k1:{base64.b64encode(new_key()).decode()}"
    parsed = parse_keys(text)
    assert [k for k, _ in parsed] == ["k2", "k1"] and parsed[0][1] == key
    with pytest.raises(CodecError, match="not base64"):
        parse_keys("k1:not-base64!")
    with pytest.raises(CodecError, match="32"):
        EncryptionCodec([("short", b"x" * 16)])
    with pytest.raises(CodecError):
        EncryptionCodec([])


def test_the_embedded_default_makes_a_private_key_file_once(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    first = local_keys(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_keys(path) == first and len(first[0][1]) == 32
