"""The ASGI application: :func:`create_app` wires pages, API, static files and the security guard.

>>> import tempfile, pathlib
>>> from starlette.testclient import TestClient
>>> app = create_app(WebConfig(pathlib.Path(tempfile.mkdtemp()) / "congvan.db", watch=False))
>>> with TestClient(app, base_url="http://127.0.0.1") as client:
...     page = client.get("/")
>>> page.status_code, "Kho công văn" in page.text
(200, True)
>>> create_app(WebConfig(pathlib.Path("x.db"), host="0.0.0.0"))
Traceback (most recent call last):
...
pipeline.web.app.ConfigError: refusing to listen on 0.0.0.0 without credentials: ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.store import Store
from pipeline.tracker import today_in_vietnam
from pipeline.web.inbox import InboxRunner
from pipeline.web.labels import FILTERS
from pipeline.web.security import LOCAL_HOST_NAMES, Credentials, Guard, GuardConfig, Throttle, is_local_host
from pipeline.web.uploads import MAX_UPLOAD_BYTES

HERE = Path(__file__).resolve().parent


class ConfigError(ValueError):
    """A configuration the server refuses to start with; the message says what to change."""


@dataclass
class WebConfig:
    """How to serve: the database, the inbox folder, where to listen, who may come in.

    ``inbox`` defaults to the folder beside the database (``congvan.db`` → ``congvan.inbox/``).
    ``today`` fixes the date (tests, demos); ``secret`` signs cookies (``CONGVAN_SECRET``, else
    random per start: sessions then end with the process).
    """

    db_path: Path
    inbox: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    credentials: Credentials = field(default_factory=Credentials)
    secret: bytes = b""
    max_upload: int = MAX_UPLOAD_BYTES
    watch: bool = True
    workers: int = 1
    settle: float = 1.0
    poll: bool = False
    https_only: bool = False
    today: dt.date | None = None
    public_url: str | None = None  # links in exports; default http://HOST:PORT

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path)
        self.inbox = Path(self.inbox) if self.inbox else self.db_path.with_name(self.db_path.stem + ".inbox")
        self.secret = self.secret or os.environ.get("CONGVAN_SECRET", "").encode() or os.urandom(32)

    def validate(self) -> None:
        """Refuse a non-local address without credentials (anyone on the network could read and change the store)."""
        if not is_local_host(self.host) and not self.credentials:
            raise ConfigError(
                f"refusing to listen on {self.host} without credentials: anyone on the network could read and "
                "change the archive. Create a token with `congvan serve --make-token FILE` and pass "
                "--token-file FILE (or set CONGVAN_TOKEN_HASH), or listen on 127.0.0.1."
            )
        if self.max_upload <= 0:
            raise ConfigError("the upload limit must be positive")

    @property
    def allowed_hosts(self) -> frozenset[str] | None:
        """Without login, only local Host names are answered (a DNS-rebinding site cannot read the pages)."""
        if self.credentials:
            return None
        return LOCAL_HOST_NAMES | {self.host.lower()}

    def now(self) -> dt.date:
        return self.today or today_in_vietnam()

    def link(self) -> str:
        base = self.public_url or f"http://{self.host}:{self.port}"
        return base.rstrip("/") + "/documents/{doc_id}"


class Stores:
    """One :class:`Store` (one SQLite connection) per thread: sqlite3 connections stay in their thread."""

    def __init__(self, path: Path) -> None:
        self.path, self.local = path, threading.local()

    def get(self) -> Store:
        store = getattr(self.local, "store", None)
        if store is None:
            store = self.local.store = Store(self.path)
        return store


def templates() -> jinja2.Environment:
    """The page templates; autoescape is on for every template, so document text is always escaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


async def run(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(store, *args, **kwargs)`` in a worker thread, with that thread's store."""
    stores: Stores = request.app.state.stores
    return await run_in_threadpool(lambda: fn(stores.get(), *args, **kwargs))


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page: the template with what every page needs (CSRF token, user, messages)."""
    cfg: WebConfig = request.app.state.config
    ctx = {
        "request": request, "csrf": request.scope.get("csrf", ""), "user": request.scope.get("user"),
        "auth": bool(cfg.credentials), "who": urllib.parse.unquote(request.cookies.get("congvan_who", "")),
        "msg": request.query_params.get("msg", ""), "nav": name.split(".")[0],
    } | context  # fmt: skip
    html = request.app.state.templates.get_template(name).render(ctx)
    return HTMLResponse(html, status)


def create_app(config: WebConfig) -> Starlette:
    """The web application for ``config`` (raises :class:`ConfigError` for an unsafe one)."""
    from pipeline.web import api, pages

    config.validate()
    Store(config.db_path)  # create the database (and its tables) before the first request
    routes = [*pages.ROUTES, *api.ROUTES, Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    for r in routes:
        if isinstance(r, Route) and "POST" in (r.methods or ()) and not getattr(r.endpoint, "csrf_protected", False):
            raise AssertionError(f"POST route {r.path} is not CSRF-protected")  # every state change needs the token
    runner = InboxRunner(config.inbox, config.db_path, settle=config.settle, workers=config.workers, poll=config.poll)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.watch:
            await run_in_threadpool(runner.start)
        try:
            yield
        finally:
            if config.watch:
                await run_in_threadpool(runner.stop)

    guard = GuardConfig(config.secret, config.credentials, config.max_upload, config.allowed_hosts,
                        config.https_only)
    app = Starlette(
        routes=routes, middleware=[Middleware(Guard, config=guard)], lifespan=lifespan,
        exception_handlers=pages.EXCEPTION_HANDLERS,
    )
    app.state.config = config
    app.state.stores = Stores(config.db_path)
    app.state.templates = templates()
    app.state.runner = runner
    app.state.throttle = Throttle()
    config.inbox.mkdir(parents=True, exist_ok=True)
    return app
