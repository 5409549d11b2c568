"""Errors as RFC 9457 problem details (`application/problem+json`), each saying what to fix.

A refused request changed nothing. The status follows the reason: a case or task that does not
exist for the caller (also another municipality's) is 404, a missing role 403, a wrong state or a
second completion 409, a form or body with wrong values 422 with one message per field.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from traject.service import Refused

PROBLEM_JSON = "application/problem+json"
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "unauthenticated": 401,
    "invalid": 422,
    "invalid_form": 422,
    "invalid_duration": 422,
    "csrf": 403,
}
CONFLICT = 409  # every other refusal: the case or task is not in a state that allows it


class Problem(Refused):
    """A refusal raised by the HTTP layer itself (login, CSRF, bad body)."""


def status_of(refused: Refused) -> int:
    return STATUS.get(refused.code, CONFLICT)


def problem(
    status: int, code: str, detail: str, errors: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://traject.example/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


NO_PAGE = "no such page"  # a page's address that names nothing (the pages translate it)


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        page = getattr(app.state, "error_page", None)
        if page is not None and not request.url.path.startswith("/api/"):
            return page(request, status_of(error), str(error))  # type: ignore[no-any-return]
        return problem(status_of(error), error.code, str(error), error.errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        errors = {_field(tuple(e["loc"])): e["msg"] for e in error.errors()}
        page = getattr(app.state, "error_page", None)
        if page is not None and not request.url.path.startswith(("/api/", "/codec")):
            # a page's address with a wrong number in it (typed or cut short): the page it would
            # name is not there; a wrong value in its query is a request to fix
            if any(e["loc"][:1] == ("path",) for e in error.errors()):
                return page(request, 404, NO_PAGE)  # type: ignore[no-any-return]
            detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
            return page(request, 422, detail)  # type: ignore[no-any-return]
        return problem(422, "invalid", "the request has wrong or missing values", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 400 and request.url.path.startswith("/api/"):
            return problem(
                422, "invalid", "the body is not JSON in UTF-8", {"body": str(error.detail)}
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "error")
        page = getattr(app.state, "error_page", None)
        if page is not None and not request.url.path.startswith(("/api/", "/static/")):
            detail = NO_PAGE if error.status_code == 404 else str(error.detail)
            return page(request, error.status_code, detail)  # type: ignore[no-any-return]
        return problem(error.status_code, code, str(error.detail))


OPENAPI_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, text in (
        (401, "Not signed in"),
        (403, "Missing role"),
        (404, "No such case or task (for you)"),
        (409, "Wrong state, already completed or claimed"),
        (422, "Wrong values, with one message per field"),
    )
}


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def document(app: FastAPI) -> None:
    """Add the Problem schema to the OpenAPI document the error responses refer to."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                PROBLEM_SCHEMA
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class NoNulInAddress:
    """Pure ASGI middleware: an address with a NUL character in its path or query names nothing
    (the store cannot hold NUL in any text, and PostgreSQL refuses to look for one), so it is
    404 before any route sees it. Bodies are the routes' to check: their fields say which."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope["query_string"].lower()
        ):
            answer = problem(404, "not_found", "nothing here: the address holds a NUL character")
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
