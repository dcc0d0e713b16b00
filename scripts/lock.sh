#!/usr/bin/env bash
# Refresh requirements.lock (exact versions + sha256 hashes) from pyproject.toml with uv.
#   bash scripts/lock.sh               # after editing pyproject.toml: keep every pin that still fits
#   bash scripts/lock.sh --upgrade     # move every package to its newest version allowed by pyproject
#   bash scripts/lock.sh --upgrade-package gradio
# It also writes requirements-cluster.lock: the same pins plus the `cluster` extra (Ray), for
# `bash scripts/setup.sh --cluster`.
# Then run `bash scripts/test.sh` on the new lock before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.8
TOOLS=${LOCK_TOOLS:-${TMPDIR:-/tmp}/hoi-dap-uv-$UV_VERSION}
if [ ! -x "$TOOLS/bin/uv" ]; then
  python3 -m venv "$TOOLS" && "$TOOLS/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
# torch is locked as its CPU build (+cpu), which is not on PyPI: it comes from the PyTorch CPU wheel
# index, or from a local wheel folder where pip is configured with one (find-links).
FIND_LINKS=$(python3 -m pip config get global.find-links 2>/dev/null || true)
if [ -n "$FIND_LINKS" ]; then
  TORCH_SOURCE=(--find-links "$FIND_LINKS")
else
  TORCH_SOURCE=(--extra-index-url "${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}" --index-strategy unsafe-best-match)
fi
"$TOOLS/bin/uv" pip compile pyproject.toml --extra model --extra test \
  --python-version 3.11 --generate-hashes --no-header --annotation-style line \
  "${TORCH_SOURCE[@]}" -o requirements.lock "$@"
sed -i '1i # Exact versions and hashes of everything scripts/setup.sh installs (extras: model, test).\n# Made by `bash scripts/lock.sh` (uv pip compile) from pyproject.toml; do not edit by hand.' requirements.lock
# The cluster lock: every pin of requirements.lock kept (-c), Ray and what it needs added.
"$TOOLS/bin/uv" pip compile pyproject.toml --extra model --extra test --extra cluster -c requirements.lock \
  --python-version 3.11 --generate-hashes --no-header --annotation-style line \
  "${TORCH_SOURCE[@]}" -o requirements-cluster.lock "$@"
sed -i '1i # requirements.lock plus the cluster extra (Ray), for `bash scripts/setup.sh --cluster`.\n# Made by `bash scripts/lock.sh` (uv pip compile) from pyproject.toml; do not edit by hand.' requirements-cluster.lock
