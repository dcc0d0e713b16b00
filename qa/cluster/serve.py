"""The Ray Serve application: one deployment per shard (`num_replicas` each) and a router deployment
that embeds the question once, fans the lexical and dense searches out to the shards and merges them
(qa/cluster/search.py). `qa deploy` starts it on a cluster; QA_SEARCH=ray://… makes the page, the API
and `qa ask` answer through it (qa/cluster/client.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings, pin_threads
from ..errors import QAError
from .search import Shard, ShardedAssistant
from .shards import shard_folders

log = logging.getLogger(__name__)
APP = "hoi-dap"  # the Serve application's name
RETRY_PAUSE = 0.05  # seconds before a shard call that failed is sent again (to another replica)


def ray_modules():
    """ray and ray.serve, or a QAError naming the extra to install."""
    try:
        import ray
        from ray import serve
    except ImportError as exc:
        raise QAError("The Ray cluster needs the optional extra: pip install -e '.[cluster]'.") from exc
    return ray, serve


def connect(address: str) -> None:
    """Join the cluster at address (ray://HEAD:10001) as a client, once per process."""
    ray, _ = ray_modules()
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        raise QAError(f"No Ray cluster answers at {address} ({exc.__class__.__name__}); start its head node "
                      "with `ray start --head` (docs/scaling.md).") from exc


class RayFanout:
    """Calls the shard deployments through their Serve handles, all at once. A call that fails (its
    replica died) is sent again while time is left, which reaches another replica; a shard that has
    not answered within the timeout is left out. An error of the product (QAError) is raised."""

    def __init__(self, handles: list, timeout: float):
        self.handles, self.timeout = handles, timeout

    def __len__(self) -> int:
        return len(self.handles)

    def call(self, method: str, args: tuple, shards: Sequence[int] | None = None) -> dict[int, object]:
        deadline = time.monotonic() + self.timeout
        wanted = list(range(len(self.handles)) if shards is None else shards)
        pending = {i: self.handles[i].call.remote(method, args) for i in wanted}
        out: dict[int, object] = {}
        for i in wanted:
            response = pending[i]
            while True:
                try:
                    out[i] = response.result(timeout_s=max(0.001, deadline - time.monotonic()))
                    break
                except QAError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a dead replica, a timeout: Ray raises several types
                    if time.monotonic() + RETRY_PAUSE >= deadline or isinstance(exc, TimeoutError):
                        log.warning("shard %d left out of %s: %s", i, method, exc.__class__.__name__)
                        break
                    time.sleep(RETRY_PAUSE)
                    response = self.handles[i].call.remote(method, args)
        return out


class ShardReplica:
    """One replica of a shard's deployment: a Shard over its folder."""

    def __init__(self, folder: str, settings: Settings):
        pin_threads(1)
        self.shard = Shard(Path(folder), settings)

    def call(self, method: str, args: tuple):
        return getattr(self.shard, method)(*args)


class RouterReplica:
    """One replica of the router: a ShardedAssistant whose fan-out reaches the shard deployments."""

    def __init__(self, settings: Settings, *shards):
        pin_threads(settings.threads)
        self.assistant = ShardedAssistant(settings, RayFanout(list(shards), settings.shard_timeout))
        self.assistant.embedder  # noqa: B018 - loaded before the first question

    def call(self, method: str, args: tuple = (), kwargs: dict | None = None):
        """("ok", result) or ("error", QAError): the product's errors cross to the client as values."""
        try:
            if method == "model":
                e = self.assistant.embedder
                return "ok", {"model_id": e.model_id, "backend": e.backend, "dim": e.dim}
            if method in ("manifest", "probe", "metas"):
                target = self.assistant.reader()
                value = getattr(target, method)
                return "ok", value(*args, **(kwargs or {})) if callable(value) else value
            return "ok", getattr(self.assistant, method)(*args, **(kwargs or {}))
        except QAError as exc:
            return "error", exc


def application(folder: Path, settings: Settings, replicas: int = 1, router_replicas: int = 1,
                num_cpus: float = 0.0):
    """The bound Serve application over the shards of a sharded index folder (every node sees it at the
    same path: a shared file system, or a copy on each node)."""
    _, serve = ray_modules()
    shard = serve.deployment(ShardReplica, ray_actor_options={"num_cpus": num_cpus}, max_ongoing_requests=64)
    router = serve.deployment(RouterReplica, ray_actor_options={"num_cpus": num_cpus}, max_ongoing_requests=64)
    nodes = [shard.options(name=f"shard-{i}", num_replicas=replicas).bind(str(f.resolve()), settings)
             for i, f in enumerate(shard_folders(folder))]
    return router.options(name="router", num_replicas=router_replicas).bind(settings, *nodes)


def deploy(address: str, folder: Path, settings: Settings, replicas: int = 1, router_replicas: int = 1,
           num_cpus: float = 0.0) -> None:
    """Start (or update) the application on the cluster; returns once every replica is up."""
    _, serve = ray_modules()
    connect(address)
    serve.start(http_options={"location": "NoServer"})  # answers go through handles, not Serve's HTTP proxy
    serve.run(application(folder, settings, replicas, router_replicas, num_cpus), name=APP, route_prefix=None)
