"""The codec server the Temporal Web UI calls to show decrypted payloads to authorised users.

Protocol (Temporal's remote codec): POST /codec/decode or /codec/encode with
`{"payloads": [{"metadata": {name: base64}, "data": base64}]}`, answered in the same shape.
With a token configured (TRAJECT_CODEC_TOKEN) a request needs `Authorization: Bearer <token>`;
without one — the embedded default only — just the local Web UI's origin is let through.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload

from traject.api.auth import same_secret
from traject.codec import CodecError, EncryptionCodec


class CodecPayload(BaseModel):
    metadata: dict[str, str] = {}
    data: str = ""


class CodecBody(BaseModel):
    payloads: list[CodecPayload]


def codec_router(codec: EncryptionCodec, token: str | None, local_origin: str) -> APIRouter:
    router = APIRouter(prefix="/codec", tags=["ops"])

    def authorise(request: Request, authorization: str | None) -> None:
        if token:
            presented = (authorization or "").removeprefix("Bearer ").strip()
            if not same_secret(presented, token):
                raise HTTPException(401, "a valid bearer token is needed to decode payloads")
        elif request.headers.get("origin") != local_origin:
            raise HTTPException(403, f"without TRAJECT_CODEC_TOKEN only {local_origin} may decode")

    @router.post("/decode", response_model=CodecBody)
    async def decode(
        body: CodecBody, request: Request, authorization: str | None = Header(None)
    ) -> Any:
        authorise(request, authorization)
        try:
            return _to_body(await codec.decode(_from_body(body)))
        except CodecError as error:
            raise HTTPException(422, str(error)) from None

    @router.post("/encode", response_model=CodecBody)
    async def encode(
        body: CodecBody, request: Request, authorization: str | None = Header(None)
    ) -> Any:
        authorise(request, authorization)
        return _to_body(await codec.encode(_from_body(body)))

    return router


def _from_body(body: CodecBody) -> list[Payload]:
    try:
        return [
            Payload(
                metadata={k: base64.b64decode(v) for k, v in p.metadata.items()},
                data=base64.b64decode(p.data),
            )
            for p in body.payloads
        ]
    except ValueError as error:
        raise HTTPException(422, f"payloads must be base64: {error}") from None


def _to_body(payloads: list[Payload]) -> CodecBody:
    return CodecBody(
        payloads=[
            CodecPayload(
                metadata={k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                data=base64.b64encode(p.data).decode(),
            )
            for p in payloads
        ]
    )
