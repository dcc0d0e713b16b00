"""Seconds spent per stage, summed over a long job (ingest reports them; benchmarks print them)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """Accumulates wall time per named stage. Stages may be timed from two threads (ingest's worker
    and, rarely, the main one); `+=` is not atomic there, so a timing can lose a lap, never the work."""

    def __init__(self):
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def lap(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - t0
