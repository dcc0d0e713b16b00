"""The JSON HTTP API beside the chat page: /api/ask, /api/articles/{id}, /api/health."""

from __future__ import annotations

import base64
import logging
import secrets
from contextlib import contextmanager

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .errors import IndexMismatch, IndexMissing, InputError, QAError
from .pipeline import Assistant
from .retrieve import Filters

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class FiltersIn(BaseModel):
    provinces: list[str] = Field(default_factory=list, max_length=20)
    date_from: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    date_to: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class AskIn(BaseModel):
    question: str
    k: int = Field(default=5, ge=1, le=50)
    filters: FiltersIn = Field(default_factory=FiltersIn)
    history: list[str] = Field(default_factory=list, max_length=20)  # earlier questions, oldest first


@contextmanager
def _http_errors(bad_input: int):
    """Our errors as HTTP statuses: bad input (400 or 404), no usable index 503."""
    try:
        yield
    except InputError as exc:
        raise HTTPException(bad_input, str(exc)) from exc
    except (IndexMissing, IndexMismatch) as exc:
        raise HTTPException(503, str(exc)) from exc


def router(assistant: Assistant, token: str = "", basic: str = "") -> APIRouter:
    """The API routes for one assistant. With a token, a route needs `Authorization: Bearer <token>`;
    with `user:password` (the page's login), HTTP Basic with the same credentials is accepted too."""
    accepted = [f"Bearer {token}"] if token else []
    if basic:
        accepted.append("Basic " + base64.b64encode(basic.encode()).decode())

    def check_token(request: Request) -> None:
        if not accepted:
            return
        given = request.headers.get("authorization", "").encode()
        if not any(secrets.compare_digest(given, a.encode()) for a in accepted):
            raise HTTPException(401, "Missing or wrong credentials.", headers={"WWW-Authenticate": "Bearer, Basic"})

    api = APIRouter(prefix="/api", dependencies=[Depends(check_token)])

    @api.post("/ask")
    def ask(body: AskIn) -> dict:
        f = body.filters
        with _http_errors(bad_input=400):
            return assistant.ask(body.question, body.k, Filters(tuple(f.provinces), f.date_from, f.date_to),
                                 history=body.history).to_json()

    @api.get("/articles/{article_id}")
    def article(article_id: str) -> dict:
        with _http_errors(bad_input=404):
            return assistant.article(article_id).to_json()

    @api.get("/health")
    def health() -> JSONResponse:
        try:
            m = assistant.reader().manifest
        except QAError as exc:
            return JSONResponse({"status": "no-index", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "articles": m["counts"]["articles"], "chunks": m["counts"]["chunks"],
                             "model": m["model"], "backend": assistant.embedder.backend,
                             "generation": m["generation"]})

    return api


def install(app: FastAPI, assistant: Assistant, token: str = "", basic: str = "") -> None:
    """Add the API routes and a request-size limit to an app."""

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        if request.url.path.startswith("/api/"):
            size = request.headers.get("content-length")
            if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
                return JSONResponse({"detail": f"Request body over {MAX_BODY // 1024} KiB."}, status_code=413)
        return await call_next(request)

    app.include_router(router(assistant, token, basic))
