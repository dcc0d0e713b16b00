"""The Assistant of `python app.py`, `qa ask` and the library when QA_SEARCH=ray://…: every question
goes to the router of the Serve application on the cluster (qa/cluster/serve.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config import Settings
from ..errors import QAError
from ..records import Answer, Article
from ..retrieve import Filters
from .serve import APP, connect, ray_modules


@dataclass(frozen=True)
class RemoteModel:
    """The router's embedding model, as the health check names it."""

    model_id: str
    backend: str
    dim: int


class RemoteAssistant:
    """The methods of pipeline.Assistant the API, the page and the command line use, answered by the
    cluster's router."""

    def __init__(self, settings: Settings):
        self.settings = settings
        _, serve = ray_modules()
        connect(settings.search)
        try:
            self._handle = serve.get_app_handle(APP)
        except Exception as exc:  # noqa: BLE001 - Ray raises a plain RayServeException here
            raise QAError(f"The cluster at {settings.search} runs no {APP!r} application; start it with `qa deploy`.",
                          "Hệ thống tìm kiếm phân tán chưa chạy; quản trị viên cần khởi động bằng lệnh `qa deploy`.") from exc
        self._model: RemoteModel | None = None

    def _call(self, method: str, *args, **kwargs):
        status, value = self._handle.call.remote(method, args, kwargs).result(
            timeout_s=self.settings.shard_timeout * 3 + 60)
        if status == "error":
            raise value
        return value

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters(),
            history: Sequence[str] = ()) -> Answer:
        return self._call("ask", question, k, filters, history=tuple(history))

    def search(self, question: str, k: int | None = None, filters: Filters = Filters()):
        return self._call("search", question, k, filters)

    def article(self, article_id: str) -> Article:
        return self._call("article", article_id)

    def catalogue(self) -> list[Article]:
        return self._call("catalogue")

    def documents(self):
        return self._call("documents")

    def document(self, number: str):
        return self._call("document", number)

    def reader(self) -> RemoteReader:
        return RemoteReader(self)

    @property
    def embedder(self) -> RemoteModel:
        if self._model is None:
            self._model = RemoteModel(**self._call("model"))
        return self._model


class RemoteReader:
    """The reader calls of the API's health check and the page (counts, probe, article metadata)."""

    def __init__(self, assistant: RemoteAssistant):
        self._assistant = assistant

    @property
    def manifest(self) -> dict:
        return self._assistant._call("manifest")

    def probe(self) -> None:
        self._assistant._call("probe")

    def metas(self, article_ids: set[str]) -> dict[str, Article]:
        return self._assistant._call("metas", set(article_ids))
