"""Gradio entry point: `python app.py` serves the chat page and the JSON API on 127.0.0.1."""

import logging
import sys

from qa.config import Settings, pin_threads
from qa.errors import QAError

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    pin_threads(settings.threads)
    from qa.server import serve

    try:
        serve(settings)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
