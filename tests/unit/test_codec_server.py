"""The codec server shows decrypted payloads to the authorised only."""

from __future__ import annotations

import base64

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from temporalio.api.common.v1 import Payload

from traject.api.codec import codec_router
from traject.codec import EncryptionCodec, new_key

UI = "http://127.0.0.1:8233"
CODEC = EncryptionCodec([("k1", new_key())])


def client(token: str | None) -> TestClient:
    app = FastAPI()
    app.include_router(codec_router(CODEC, token, UI))
    return TestClient(app)


def sealed_body() -> dict[str, object]:
    sealed = CODEC.encrypt(
        Payload(metadata={"encoding": b"json/plain"}, data=b'{"task": "intake"}')
    )
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
                "data": base64.b64encode(sealed.data).decode(),
            }
        ]
    }


def test_a_token_holder_sees_the_payload() -> None:
    response = client("s3cret").post(
        "/codec/decode", json=sealed_body(), headers={"Authorization": "Bearer s3cret"}
    )
    assert response.status_code == 200
    (payload,) = response.json()["payloads"]
    assert base64.b64decode(payload["data"]) == b'{"task": "intake"}'


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer s3crét".encode()},
        {"Origin": UI},
    ],
)
def test_without_the_token_nothing_is_decoded(headers: dict[str, str | bytes]) -> None:
    response = client("s3cret").post("/codec/decode", json=sealed_body(), headers=headers)
    assert response.status_code == 401 and "token" in response.json()["detail"]


def test_the_embedded_default_lets_only_the_local_ui_decode() -> None:
    assert (
        client(None).post("/codec/decode", json=sealed_body(), headers={"Origin": UI}).status_code
        == 200
    )
    refused = client(None).post(
        "/codec/decode", json=sealed_body(), headers={"Origin": "http://evil.example"}
    )
    assert refused.status_code == 403


def test_bad_payloads_get_a_clear_4xx() -> None:
    bad = {"payloads": [{"metadata": {"encoding": "!!"}, "data": "x"}]}
    response = client(None).post("/codec/decode", json=bad, headers={"Origin": UI})
    assert response.status_code == 422
    assert (
        client(None).post("/codec/decode", json={"nope": 1}, headers={"Origin": UI}).status_code
        == 422
    )
