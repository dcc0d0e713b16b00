"""A throwaway Ray cluster on this machine, for tests and benchmarks: a head node and further nodes
started with `ray start` (real raylets, each its own node), their files in one temporary folder, and
stopped by process id (only this cluster's processes: `ray stop` would stop every cluster of the user)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY = [sys.executable, "-c", "from ray.scripts.scripts import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """`nodes` Ray nodes on this machine with `cpus` CPUs and a small object store each."""

    def __init__(self, nodes: int = 2, cpus: int = 1, object_store_mb: int = 100):
        self.tmp = Path(tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp"))  # short: Ray's socket paths are limited
        self.port, client = _free_port(), _free_port()
        self.address = f"ray://127.0.0.1:{client}"
        self.node = [f"--num-cpus={cpus}", f"--object-store-memory={object_store_mb * 1_000_000}",
                     "--disable-usage-stats"]
        # a busy machine may take over Ray's 30 s to start the server of a client (each `ray://` connection)
        self.env = {"RAY_CLIENT_SERVER_CHECK_CHANNEL_TIMEOUT_S": "180", **os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        try:
            self._ray("start", "--head", f"--port={self.port}", f"--ray-client-server-port={client}",
                      "--include-dashboard=false", f"--temp-dir={self.tmp}", *self.node)
            for _ in range(nodes - 1):
                self.add_node()
        except BaseException:
            self.stop()
            raise

    def _ray(self, *args: str) -> None:
        done = subprocess.run(RAY + list(args), env=self.env, capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise RuntimeError(f"ray {args[0]} failed: {done.stderr[-2000:]}")

    def add_node(self) -> None:
        self._ray("start", f"--address=127.0.0.1:{self.port}", *self.node)

    def _processes(self) -> set[int]:
        """This cluster's processes: those naming its folder or writing into it (every node logs there)."""
        me, found = os.getpid(), set()
        for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
            if pid == me:
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            if str(self.tmp) in cmd or any(f.startswith(str(self.tmp)) for f in fds):
                found.add(pid)
        return found

    def stop(self) -> None:
        try:
            import ray

            if ray.is_initialized():
                ray.shutdown()
        except ImportError:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._processes()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if pids:
                time.sleep(2)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
