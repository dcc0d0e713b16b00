"""One line describing the machine a benchmark ran on (CPU, cores, vector ISA, Python, library versions)."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version


def machine(libs: tuple[str, ...] = ()) -> str:
    """e.g. "AMD EPYC, 2 cores (avx2, VNNI: no), Python 3.11.7; onnxruntime 1.32.0"."""
    cpu, flags = "", set()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    cpu = cpu or platform.processor() or "?"
    vnni = "yes" if flags & {"avx512_vnni", "avx_vnni"} else "no"
    isa = "avx512" if "avx512f" in flags else ("avx2" if "avx2" in flags else "?")
    found = []
    for pkg in libs:
        try:
            found.append(f"{pkg} {version(pkg)}")
        except Exception:  # not installed
            pass
    line = f"{cpu}, {os.cpu_count()} cores ({isa}, VNNI: {vnni}), Python {platform.python_version()}"
    return line + ("; " + ", ".join(found) if found else "")
