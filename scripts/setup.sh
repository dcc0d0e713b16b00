#!/usr/bin/env bash
# Create .venv, install exactly the versions in requirements.lock (hash-checked), the project itself,
# and build the offline model once.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Everything, the test tools included, at the locked versions. torch is locked as its CPU build
# (2.13.0+cpu, ~190 MB; a bare `torch` from PyPI is a multi-GB CUDA build): pip takes it from the PyTorch
# CPU index (PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu) or a local wheel folder (find-links).
.venv/bin/python -m pip install -q --require-hashes -r requirements.lock
# The project itself, without touching the locked dependencies (setuptools comes from the lock).
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
.venv/bin/qa setup
