#!/usr/bin/env bash
# Set up, build the index from seeds/ if there is none, and serve the chat page + API on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
INDEX=${QA_INDEX_DIR:-index}
if [ ! -f "$INDEX/manifest.json" ] || ! QA_INDEX_DIR="$INDEX" .venv/bin/qa list >/dev/null 2>&1; then
  .venv/bin/qa ingest seeds/
fi
exec .venv/bin/python app.py
