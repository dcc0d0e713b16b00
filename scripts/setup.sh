#!/usr/bin/env bash
# Create .venv, install exactly the versions in requirements.lock (hash-checked), the project itself,
# and build the offline model once. `--cluster` installs requirements-cluster.lock instead: the same pins
# plus Ray, for the Ray cluster (docs/scaling.md).
set -euo pipefail
LOCK=requirements.lock
if [ "${1:-}" = "--cluster" ]; then
  LOCK=requirements-cluster.lock
elif [ -n "${1:-}" ]; then
  echo "usage: bash scripts/setup.sh [--cluster]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
# OCR of scanned PDFs and images needs Debian's Tesseract with its Vietnamese model (qa/ocr.py).
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx vie; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie >/dev/null) \
      || echo "warning: could not install tesseract-ocr-vie; scanned PDFs and images will be refused" >&2
  else
    echo "note: for scanned PDFs and images, install Tesseract: apt-get install tesseract-ocr tesseract-ocr-vie" >&2
  fi
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Everything, the test tools included, at the locked versions. torch is locked as its CPU build
# (2.13.0+cpu, ~190 MB; a bare `torch` from PyPI is a multi-GB CUDA build): pip takes it from the PyTorch
# CPU index (PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu) or a local wheel folder (find-links).
# --no-deps: the lock holds every package, so pip resolves nothing itself; a new upstream release (lxml
# 6.2.0, 2026-12-03, re-adding the extra that justext asks for) cannot make pip reach past the lock. pip check
# then proves the locked set complete and consistent.
.venv/bin/python -m pip install -q --no-deps --require-hashes -r "$LOCK"
.venv/bin/python -m pip check -q >/dev/null || { .venv/bin/python -m pip check; exit 1; }
# The project itself, without touching the locked dependencies (setuptools comes from the lock).
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
.venv/bin/qa setup
