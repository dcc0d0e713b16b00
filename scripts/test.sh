#!/usr/bin/env bash
# Set up (the lock includes the test tools; with Debian's chromium for the browser tests) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: could not install chromium; browser tests will be skipped" >&2
  else
    echo "warning: chromium is not installed; browser tests will be skipped" >&2
  fi
fi
# Tesseract and its Vietnamese model read scanned PDFs and images (qa/ocr.py); without them scans are refused.
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx vie; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie \
      fonts-dejavu-core >/dev/null) || echo "warning: could not install tesseract-ocr-vie; OCR tests will be skipped" >&2
  else
    echo "warning: tesseract-ocr-vie is not installed; OCR tests will be skipped" >&2
  fi
fi
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
