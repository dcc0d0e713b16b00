"""The web server: the Gradio chat page at /, the JSON API at /api, on 127.0.0.1 by default."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .config import Settings, pin_threads

log = logging.getLogger(__name__)


def create_app(settings: Settings):
    """A FastAPI app serving the API and the chat page for the configured index."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import FileResponse

    from . import api, ui
    from .pipeline import Assistant

    assistant = Assistant(settings)
    app = FastAPI(title="hoi-dap", docs_url="/api/docs", openapi_url="/api/openapi.json")
    origins = [o.strip() for o in os.environ.get("QA_ALLOWED_ORIGINS", "").split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["*"], allow_credentials=True)
    api.install(app, assistant, settings.api_token, settings.auth if ":" in settings.auth else "")

    @app.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        """Gradio's web-component loader, served here so intranet pages need no CDN."""
        return FileResponse(Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js",
                            media_type="text/javascript")

    auth = tuple(settings.auth.split(":", 1)) if ":" in settings.auth else None
    page = ui.build(assistant, settings)
    return gr.mount_gradio_app(app, page, path="/", auth=auth, css=ui.CSS, head=ui.HEAD, footer_links=["api"],
                               root_path=os.environ.get("GRADIO_ROOT_PATH") or None,
                               max_file_size=f"{settings.max_file_mb:g}mb", show_error=True)


def serve(settings: Settings | None = None) -> None:
    """Serve on GRADIO_SERVER_NAME (default 127.0.0.1) : GRADIO_SERVER_PORT (default 7860)."""
    import uvicorn

    settings = settings or Settings.from_env()
    pin_threads(settings.threads)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    app = create_app(settings)
    log.warning("hoi-dap serving on http://%s:%d (API at /api)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")
