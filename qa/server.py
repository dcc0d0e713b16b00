"""The web server: the Gradio chat page at /, the JSON API at /api, on 127.0.0.1 by default."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .config import Settings, pin_threads
from .errors import QAError

log = logging.getLogger(__name__)


def create_app(settings: Settings):
    """A FastAPI app serving the API and the chat page for the configured index."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import FileResponse
    from gradio.utils import get_upload_folder

    from . import api, ui
    from .pipeline import assistant as open_assistant

    if settings.auth and (":" not in settings.auth or not all(settings.auth.split(":", 1))):
        raise QAError("QA_AUTH must be user:password (both parts, separated by a colon); the page would "
                      "otherwise be served without its login.")
    assistant = open_assistant(settings)  # this machine's index, or the Ray cluster of QA_SEARCH
    app = FastAPI(title="hoi-dap", docs_url="/api/docs", openapi_url="/api/openapi.json")
    origins = [o.strip() for o in os.environ.get("QA_ALLOWED_ORIGINS", "").split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                           allow_headers=["*"], allow_credentials=True)
    credentials = api.Credentials(settings.api_token, settings.auth)
    app.add_middleware(api.UploadedFilesOnly, upload_folder=get_upload_folder)  # inside the body limit
    api.install(app, assistant, credentials, api.Throttle())

    @app.get("/gradio.js", include_in_schema=False)
    def web_component() -> FileResponse:
        """Gradio's web-component loader, served here so intranet pages need no CDN."""
        return FileResponse(Path(gr.__file__).parent / "templates" / "frontend" / "gradio.js",
                            media_type="text/javascript")

    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    page = ui.build(assistant, settings, credentials)
    app = gr.mount_gradio_app(app, page, path="/", auth=auth, css=ui.CSS, head=ui.HEAD, footer_links=["api"],
                               root_path=os.environ.get("GRADIO_ROOT_PATH") or None,
                               max_file_size=f"{ui.max_upload_mb(settings):g}mb", show_error=True)
    # Gradio checks that a file given to an event came from its own upload folder only once the
    # Blocks count as launched, which mount_gradio_app does not set: without this, a client could
    # name any server path as an "uploaded" file (the page's upload also checks it, see ui.upload).
    page.has_launched = True
    public = {fn.api_name for fn in page.fns.values() if fn.api_name and fn.api_visibility != "private"}
    app.add_middleware(ui.VietnameseHtml)
    app.add_middleware(api.NamedGradioApi, public=public, credentials=credentials if settings.api_token else None)
    return app


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
