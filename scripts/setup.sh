#!/usr/bin/env bash
# Create .venv, install the project with everything it needs, and build the offline model once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU build (a bare `torch` pulls a multi-GB CUDA build); it is only used to build the model.
.venv/bin/python -m pip install -q -e ".[model${EXTRAS:+,$EXTRAS}]"
.venv/bin/qa setup
