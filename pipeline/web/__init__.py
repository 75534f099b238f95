"""The web interface for archivists: ``create_app(WebConfig("congvan.db"))`` is an ASGI application.

Served by ``congvan serve`` (:mod:`pipeline.cli_web`); modules: :mod:`~pipeline.web.app`
(wiring), :mod:`~pipeline.web.views` (what each page shows), :mod:`~pipeline.web.pages` (HTML),
:mod:`~pipeline.web.api` (JSON + OpenAPI), :mod:`~pipeline.web.security`,
:mod:`~pipeline.web.uploads`, :mod:`~pipeline.web.inbox`, :mod:`~pipeline.web.originals`,
:mod:`~pipeline.web.labels`.

Example (any ASGI server)::

    import uvicorn
    from pipeline.web import WebConfig, create_app
    uvicorn.run(create_app(WebConfig("congvan.db")), host="127.0.0.1", port=8000)
"""

from pipeline.web.app import ConfigError, WebConfig, create_app
from pipeline.web.security import Credentials

__all__ = ["ConfigError", "Credentials", "WebConfig", "create_app"]
