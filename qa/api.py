"""The JSON HTTP API beside the chat page: /api/ask, /api/articles/{id}, /api/documents[/{number}],
/api/health; and the guards
every route of the app shares (credentials, login throttling, request-body limits)."""

from __future__ import annotations

import base64
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import provinces as gazetteer
from . import register
from .errors import IndexMismatch, IndexMissing, InputError, QAError
from .pipeline import Assistant
from .retrieve import Filters, iso_date

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # /api/* request bodies
MAX_PAGE_BODY = 1024 * 1024  # Gradio's own routes (the chat history travels with each question); uploads excepted
MAX_K = 50
LOGIN_FAILURES = 5  # wrong logins from one address within LOGIN_WINDOW seconds lock it out for LOGIN_WINDOW
LOGIN_WINDOW = 300.0


def _iso_date(value: str | None) -> str | None:
    """A real calendar date written YYYY-MM-DD ("2021-13-45" is not one)."""
    return None if value is None else iso_date(value)


class FiltersIn(BaseModel):
    """Filters of /api/ask. Unknown keys and provinces are errors, so a typo never returns unfiltered results.
    Articles whose date has no year never match a date filter."""

    model_config = ConfigDict(extra="forbid")
    provinces: list[str] = Field(default_factory=list, max_length=20)
    date_from: str | None = None
    date_to: str | None = None

    @field_validator("provinces")
    @classmethod
    def _known_provinces(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if not gazetteer.related(n)]
        if unknown:
            raise ValueError(f"unknown province {unknown[0]!r} (a name before or after the 2025 reorganisation)")
        return names

    @field_validator("date_from", "date_to")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        return _iso_date(value)

    @model_validator(mode="after")
    def _ordered(self) -> FiltersIn:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    k: int = Field(default=5, ge=1, le=MAX_K)
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


class Credentials:
    """What a request must present: `Bearer <token>` (QA_API_TOKEN) and, with the page's login
    `user:password`, HTTP Basic with the same. No credentials configured: everything passes."""

    def __init__(self, token: str = "", basic: str = ""):
        self.accepted = [f"Bearer {token}"] if token else []
        if basic:
            self.accepted.append("Basic " + base64.b64encode(basic.encode()).decode())

    def ok(self, authorization: str | None) -> bool:
        if not self.accepted:
            return True
        given = (authorization or "").encode("utf-8", "replace")
        return any(secrets.compare_digest(given, a.encode()) for a in self.accepted)


class Throttle:
    """Counts failed logins per client address; too many within the window lock it out for a while."""

    def __init__(self, failures: int = LOGIN_FAILURES, window: float = LOGIN_WINDOW):
        self.failures, self.window = failures, window
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, client: str) -> float:
        """Seconds this client must still wait (0: it may try)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._seen.get(client, []) if now - t < self.window]
            self._seen[client] = recent
            if len(recent) < self.failures:
                return 0.0
            return self.window - (now - recent[-self.failures])

    def failed(self, client: str) -> None:
        with self._lock:
            self._seen.setdefault(client, []).append(time.monotonic())
            if len(self._seen) > 10_000:  # forget the oldest addresses
                for key in list(self._seen)[:5_000]:
                    del self._seen[key]

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._seen.pop(client, None)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def router(assistant: Assistant, credentials: Credentials, throttle: Throttle) -> APIRouter:
    """The API routes for one assistant, behind the credentials (wrong ones count as failed logins)."""

    def check_credentials(request: Request) -> None:
        client = _client(request)
        wait = throttle.locked_for(client)
        if wait:
            raise HTTPException(429, f"Too many failed logins; try again in {wait / 60:.0f} minutes.",
                                headers={"Retry-After": str(int(wait) + 1)})
        if not credentials.ok(request.headers.get("authorization")):
            if request.headers.get("authorization"):
                throttle.failed(client)
            raise HTTPException(401, "Missing or wrong credentials.", headers={"WWW-Authenticate": "Bearer, Basic"})

    api = APIRouter(prefix="/api", dependencies=[Depends(check_credentials)])

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

    @api.get("/documents")
    def documents() -> dict:
        """Every document the indexed articles cite (number, kind, date, issuer, subject, counts)."""
        with _http_errors(bad_input=400):
            return {"documents": [d.to_json() for d in assistant.documents()]}

    @api.get("/documents/{number:path}")
    def document(number: str) -> dict:
        """One document with every article passage citing it; numbers hold "/" (57-NQ/TU), sent as is
        or URL-encoded (57-NQ%2FTU)."""
        with _http_errors(bad_input=404):
            return register.document_json(*assistant.document(number))

    @api.get("/health")
    def health() -> JSONResponse:
        try:
            reader = assistant.reader()
            reader.probe()
            m = reader.manifest
        except IndexMismatch as exc:
            return JSONResponse({"status": "damaged", "detail": str(exc)}, status_code=503)
        except QAError as exc:
            return JSONResponse({"status": "no-index", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "articles": m["counts"]["articles"], "chunks": m["counts"]["chunks"],
                             "model": m["model"], "backend": assistant.embedder.backend,
                             "generation": m["generation"]})

    return api


def _method_not_allowed(app: FastAPI, api: APIRouter) -> None:
    """405 (with Allow) instead of the page's 404 for a known API path called with another method."""
    def refusal(allowed: str) -> Callable[[], JSONResponse]:
        return lambda: JSONResponse({"detail": "Method not allowed."}, status_code=405, headers={"Allow": allowed})

    for route in api.routes:
        others = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in route.methods]
        app.add_api_route(route.path, refusal(", ".join(sorted(route.methods))), methods=others, include_in_schema=False)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field, without echoing the input (NaN or Infinity cannot be written as JSON)
    and without a traceback in the log."""
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid")} for e in exc.errors()]
    log.info("422 %s %s: %s", request.method, request.url.path, "; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
    return JSONResponse({"detail": errors}, status_code=422)


class BodyLimit:
    """Refuse request bodies over a limit with 413, also when they come chunked (no Content-Length):
    the body is read only up to the limit, then refused, never read whole. Gradio's upload route
    keeps its own limit (`max_file_size`)."""

    def __init__(self, app, limit_for: Callable[[str], int | None]):
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope, receive, send):
        limit = self.limit_for(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        size = dict(scope["headers"]).get(b"content-length")
        if size is not None:
            if not size.isdigit() or int(size) > limit:
                return await self._refuse(send, limit)
            return await self.app(scope, receive, send)
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            total += len(chunks[-1])
            more = message.get("more_body", False)
            if total > limit:
                log.info("413 %s: chunked body over %d bytes", scope["path"], limit)
                return await self._refuse(send, limit)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        await JSONResponse({"detail": f"Request body over {limit // 1024} KiB."}, status_code=413,
                           headers={"Connection": "close"})({"type": "http"}, None, send)


class NamedGradioApi:
    """Gradio's named-API routes (`/gradio_api/call/<name>`, `/call/v2/<name>`): only the endpoints
    published as API (`ask`) answer there, the page's own events are 404; with an API token the
    named routes need it like `/api/*` does."""

    _CALL = re.compile(r"/gradio_api/call/(?:v2/)?([^/]+)")

    def __init__(self, app, public: set[str], credentials: Credentials | None):
        self.app, self.public, self.credentials = app, public, credentials

    async def __call__(self, scope, receive, send):
        m = self._CALL.search(scope["path"]) if scope["type"] == "http" else None
        if m:
            if m[1] not in self.public:
                return await JSONResponse({"detail": "Not found."}, status_code=404)(scope, receive, send)
            given = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            if self.credentials is not None and not self.credentials.ok(given):
                return await JSONResponse({"detail": "Missing or wrong credentials."}, status_code=401,
                                          headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
        return await self.app(scope, receive, send)


class UploadedFilesOnly:
    """Refuse, before Gradio reads anything, an event call (`/gradio_api/queue/join`) naming a file
    that is not in Gradio's upload folder: one log line instead of Gradio's traceback, and the file
    is never touched (Gradio would copy it into its cache first)."""

    def __init__(self, app, upload_folder: Callable[[], str]):
        self.app, self.upload_folder = app, upload_folder

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].rstrip("/").endswith(
                "/gradio_api/queue/join"):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        bad = self._foreign_path(body)
        if bad is not None:
            log.warning("event call refused: it names %r, a file that was not uploaded", bad[:200])
            return await JSONResponse({"detail": "Tệp không phải tệp vừa tải lên; hãy chọn lại tệp."},
                                      status_code=400)(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _foreign_path(self, body: bytes) -> str | None:
        import json
        from pathlib import Path

        try:
            data = json.loads(body)
        except ValueError:
            return None  # Gradio answers malformed bodies itself
        folder = Path(self.upload_folder()).resolve()
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                meta = item.get("meta")
                if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and item.get("path") is not None:
                    path = item["path"]
                    try:
                        inside = isinstance(path, str) and Path(path).resolve().is_relative_to(folder)
                    except (OSError, RuntimeError, ValueError):
                        inside = False
                    if not inside:
                        return str(path)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return None


def body_limit(path: str) -> int | None:
    """The body limit of a path (None: Gradio's upload route, which has its own)."""
    if path.rstrip("/").endswith("/gradio_api/upload"):
        return None
    return MAX_BODY if path.startswith("/api/") else MAX_PAGE_BODY


def install(app: FastAPI, assistant: Assistant, credentials: Credentials, throttle: Throttle) -> None:
    """Add the API routes, the request-size limits, login throttling and quiet validation errors to an app."""

    @app.middleware("http")
    async def throttle_logins(request: Request, call_next):
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/login"):
            client = _client(request)
            wait = throttle.locked_for(client)
            if wait:
                log.warning("login from %s refused: too many failed logins", client)
                return JSONResponse({"detail": f"Đăng nhập sai quá nhiều lần; vui lòng thử lại sau "
                                               f"{max(1, round(wait / 60))} phút."},
                                    status_code=429, headers={"Retry-After": str(int(wait) + 1)})
            response = await call_next(request)
            if response.status_code == 200:
                throttle.succeeded(client)
            elif 400 <= response.status_code < 500:
                throttle.failed(client)
            return response
        return await call_next(request)

    app.add_middleware(BodyLimit, limit_for=body_limit)
    app.add_exception_handler(RequestValidationError, _validation_error)
    api = router(assistant, credentials, throttle)
    app.include_router(api)
    _method_not_allowed(app, api)
