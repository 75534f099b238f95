"""The HTML pages: plain, bookmarkable URLs, server-rendered, working without JavaScript.

``/`` home · ``/search?q=`` · ``/documents/{id}`` (``/original``, ``/pages/{n}.png``, corrections,
re-extraction) · ``/tasks`` (status changes, ``/tasks/export.{csv,ics,json}``) · ``/inbox``
(upload, retry) · ``/login``. Every POST handler is wrapped by :func:`csrf_protected`; after a
change the browser is redirected (303) to a page that shows it.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline import corrections as corr
from pipeline.archive import ArchiveError
from pipeline.export import export_tasks
from pipeline.ingest import NotADispatch
from pipeline.readers import ReadError
from pipeline.tracker import TaskNotFound, set_status
from pipeline.web import board, views
from pipeline.web.app import render, run
from pipeline.web.inbox import inbox_state, retry
from pipeline.web.originals import original_path, page_count, render_page
from pipeline.web.security import CSRF_COOKIE, csrf_protected, make_session, session_cookie
from pipeline.web.uploads import UploadRefused, safe_name, save_upload

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "ics": "text/calendar; charset=utf-8",
                "json": "application/json"}
WHO_COOKIE = "congvan_who"


# --- small helpers ----------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def who(request: Request, form: Any = None) -> str | None:
    """The logged-in user, else the name typed into the form (remembered in a cookie)."""
    if request.scope.get("user"):
        return request.scope["user"]
    typed = (form.get("who") if form is not None else None) or urllib.parse.unquote(request.cookies.get(WHO_COOKIE, ""))
    return " ".join(str(typed).split())[:80] or None


def remember_who(response: Response, name: str | None) -> Response:
    if name:
        response.set_cookie(WHO_COOKIE, urllib.parse.quote(name), max_age=365 * 86400, httponly=True, samesite="lax")
    return response


def safe_next(value: str | None, default: str) -> str:
    """A redirect target only if it is a path on this site (no ``//host``, no scheme).

    >>> safe_next("/tasks?status=done", "/"), safe_next("//evil.example/", "/"), safe_next("https://x", "/")
    ('/tasks?status=done', '/', '/')
    """
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def link(params: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters changed (``None`` removes one)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urllib.parse.urlencode(merged) if merged else "?"


def not_found(request: Request, what: str = "Không tìm thấy trang này.") -> Response:
    return render(request, "error.html", {"status": 404, "message": what}, 404)


def today(request: Request):
    return request.app.state.config.now()


# --- home, search ----------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    h = await run(request, board.home_page, today(request))
    return render(request, "home.html", {"h": h})


def _search_args(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {"query": q.get("q", "")[:500], "doc_type": q.get("type") or None, "issuer": q.get("issuer") or None,
            "year": _int(q.get("year")), "tasks": q.get("tasks") or None, "page": _int(q.get("page")) or 1,
            "cites": q.get("cites", "")[:200] or None}


async def search_page(request: Request) -> Response:
    args = _search_args(request)
    r = await run(request, views.search_page, **args, today=today(request))
    params = {k: v for k, v in request.query_params.items() if k in ("q", "type", "issuer", "year", "tasks", "cites")}
    return render(request, "search.html", {"r": r, "params": params, "link": link})


# --- a document ------------------------------------------------------------------------------------


def _original(store, doc_id: int):
    path = original_path(store, doc_id)
    row = store.db.execute("SELECT source_path, media_type FROM documents WHERE id = ?", [doc_id]).fetchone()
    return path, row


async def document(request: Request, error: str | None = None, status: int = 200) -> Response:
    doc_id = request.path_params["doc_id"]
    hl = views.parse_span(request.query_params.get("hl"))
    try:
        v = await run(request, views.document_page, doc_id, hl, today(request))
    except views.PageNotFound:
        return not_found(request, f"Không có văn bản số {doc_id} trong kho.")
    pages = 0
    if v.has_original:
        try:
            path, _ = await run(request, _original, doc_id)
            pages = await run_in_threadpool(page_count, path)
        except (ArchiveError, OSError):
            v.has_original = False
    view = request.query_params.get("view") or ("pages" if pages else "text")
    if hl or not pages:
        view = "text"
    return render(request, "document.html", {"v": v, "d": v.doc, "pages": pages, "view": view, "error": error}, status)


async def original(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        path, row = await run(request, _original, doc_id)
    except (ArchiveError, LookupError, OSError):
        return not_found(request, "Bản gốc của văn bản này không có trong kho lưu trữ.")
    source = (row[0] or "").replace("\\", "/").rsplit("/", 1)[-1] if row else ""
    name = safe_name(source) if source else path.name
    if not name.lower().endswith(path.suffix.lower()):
        name += path.suffix
    return FileResponse(path, media_type=(row[1] if row and row[1] else "application/octet-stream"), filename=name,
                        headers={"cache-control": "private, no-store"})


async def page_image(request: Request) -> Response:
    doc_id, n = request.path_params["doc_id"], request.path_params["page"]
    try:
        path, _ = await run(request, _original, doc_id)
        png = await run_in_threadpool(render_page, path, n)
    except (ArchiveError, LookupError, IndexError, OSError):
        return not_found(request, "Không có trang này.")
    return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=3600"})


@csrf_protected
async def correct(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    form = await request.form()
    field, value, name = str(form.get("field", "")), form.get("value"), who(request, form)
    try:
        await run(request, corr.correct, doc_id, field, None if value is None else str(value), who=name)
    except corr.CorrectionError as exc:
        return await document(request, error=str(exc), status=422)
    except LookupError:
        return not_found(request, f"Không có văn bản số {doc_id} trong kho.")
    return remember_who(RedirectResponse(f"/documents/{doc_id}?msg=corrected#f-{field}", 303), name)


@csrf_protected
async def revert(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    form = await request.form()
    field = str(form.get("field", ""))
    try:
        await run(request, corr.revert, doc_id, field, who=who(request, form))
    except LookupError:
        return await document(request, error=f"Trường {field} chưa được sửa.", status=422)
    return RedirectResponse(f"/documents/{doc_id}?msg=reverted#f-{field}", 303)


@csrf_protected
async def reextract(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        await run(request, corr.reextract, doc_id)
    except ArchiveError:
        return await document(request, error="Không có bản gốc trong kho lưu trữ để trích xuất lại.", status=409)
    except (ReadError, NotADispatch) as exc:
        return await document(request, error=f"Không trích xuất lại được: {exc}", status=422)
    except LookupError:
        return not_found(request)
    return RedirectResponse(f"/documents/{doc_id}?msg=reextracted", 303)


# --- tasks -----------------------------------------------------------------------------------------


async def tasks(request: Request) -> Response:
    q = request.query_params
    b = await run(request, board.board_page, q.get("assignee") or None, q.get("status") or None, today(request))
    params = {"assignee": b.assignee, "status": b.status}
    return render(request, "tasks.html", {"b": b, "params": params, "link": link,
                                          "query": urllib.parse.urlencode({k: v for k, v in params.items() if v})})


@csrf_protected
async def task_status(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    form = await request.form()
    name = who(request, form)
    note = " ".join(str(form.get("note", "")).split()) or None
    try:
        await run(request, set_status, task_id, str(form.get("status", "")), note=note, who=name)
    except TaskNotFound:
        return not_found(request, f"Không có công việc số {task_id}.")
    except ValueError:
        return render(request, "error.html", {"status": 422, "message": "Trạng thái không hợp lệ."}, 422)
    target = safe_next(str(form.get("next", "")), "/tasks")
    sep = "&" if "?" in target.split("#")[0] else "?"
    base, _, frag = target.partition("#")
    return remember_who(RedirectResponse(f"{base}{sep}msg=status#{frag or f't-{task_id}'}", 303), name)


async def export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in EXPORT_TYPES:
        return not_found(request)
    q = request.query_params
    rows = await run(request, board.board_rows, q.get("assignee") or None, q.get("status") or None, today(request))
    data = export_tasks(rows, fmt, link=request.app.state.config.link())
    name = f"congviec-{today(request):%Y%m%d}.{fmt}"
    return Response(data, media_type=EXPORT_TYPES[fmt], headers={"content-disposition": f'attachment; filename="{name}"'})


# --- inbox -----------------------------------------------------------------------------------------


def state_of(request: Request):
    runner = request.app.state.runner
    cfg = request.app.state.config

    def get(store):
        return inbox_state(store, cfg.inbox, watching=runner.alive, log=list(runner.log)[-12:])

    return get


async def inbox(request: Request, results: dict | None = None, status: int = 200) -> Response:
    state = await run(request, state_of(request))
    if request.query_params.get("fragment") == "lists":
        return render(request, "_inbox_lists.html", {"s": state})
    return render(request, "inbox.html", {"s": state, "results": results, "limit_mb": request.app.state.config.max_upload / 1048576},
                  status)


def save_all(inbox_dir, files: list[UploadFile], max_bytes: int) -> dict:
    accepted, refused, status = [], [], 200
    for f in files:
        try:
            f.file.seek(0)
            saved = save_upload(inbox_dir, f.filename, f.file, max_bytes)
            accepted.append({"name": saved.name, "kind": saved.kind, "size": saved.size, "original": f.filename})
        except UploadRefused as exc:
            refused.append({"name": f.filename or "", "reason": str(exc)})
            status = exc.status
    return {"accepted": accepted, "refused": refused, "status": 201 if accepted else (status if refused else 400)}


@csrf_protected
async def upload(request: Request) -> Response:
    form = await request.form()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    cfg = request.app.state.config
    results = await run_in_threadpool(save_all, cfg.inbox, files, cfg.max_upload)
    if not files:
        results["refused"].append({"name": "", "reason": "Chưa chọn tệp nào."})
    return await inbox(request, results, 200 if results["accepted"] else results["status"])


@csrf_protected
async def retry_failed(request: Request) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(retry, request.app.state.config.inbox, str(form.get("name", "")))
    except (FileNotFoundError, OSError):
        return not_found(request, "Không có tệp lỗi này.")
    return RedirectResponse("/inbox?msg=retry", 303)


# --- login -----------------------------------------------------------------------------------------


async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    if not request.app.state.config.credentials:
        return RedirectResponse("/", 303)
    return render(request, "login.html", {"error": error}, status)


@csrf_protected
async def login(request: Request) -> Response:
    cfg, throttle = request.app.state.config, request.app.state.throttle
    client = request.client.host if request.client else "?"
    if throttle.blocked(client):
        return await login_form(request, "Sai quá nhiều lần; hãy thử lại sau ít phút.", 429)
    form = await request.form()
    user = await run_in_threadpool(cfg.credentials.check, str(form.get("name", "")).strip() or None,
                                   str(form.get("secret", "")))
    if user is None:
        throttle.failed(client)
        return await login_form(request, "Sai tên đăng nhập hoặc mật khẩu / mã truy cập.", 401)
    resp = RedirectResponse("/", 303)
    resp.headers.append("set-cookie", session_cookie(make_session(cfg.secret, user), cfg.https_only))
    resp.headers.append("set-cookie", f"{CSRF_COOKIE}=; Path=/; Max-Age=0")  # a new token, bound to the session
    return resp


@csrf_protected
async def logout(request: Request) -> Response:
    resp = RedirectResponse("/login", 303)
    resp.headers.append("set-cookie", session_cookie("", request.app.state.config.https_only, max_age=0))
    return resp


# --- errors ----------------------------------------------------------------------------------------


async def http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": getattr(exc, "detail", "error")}, status)
    message = {404: "Không tìm thấy trang này.", 405: "Phương thức không được phép."}.get(status, "Có lỗi xảy ra.")
    try:
        return render(request, "error.html", {"status": status, "message": message}, status)
    except Exception:  # pragma: no cover - the error page itself failed
        return PlainTextResponse(message, status)


EXCEPTION_HANDLERS = {HTTPException: http_error}

ROUTES = [
    Route("/", home, name="home"),
    Route("/search", search_page, name="search"),
    Route("/documents/{doc_id:int}", document, name="document"),
    Route("/documents/{doc_id:int}/original", original, name="original"),
    Route("/documents/{doc_id:int}/pages/{page:int}.png", page_image, name="page_image"),
    Route("/documents/{doc_id:int}/corrections", correct, methods=["POST"]),
    Route("/documents/{doc_id:int}/corrections/revert", revert, methods=["POST"]),
    Route("/documents/{doc_id:int}/reextract", reextract, methods=["POST"]),
    Route("/tasks", tasks, name="tasks"),
    Route("/tasks/{task_id:int}/status", task_status, methods=["POST"]),
    Route("/tasks/export.{fmt}", export, name="export"),
    Route("/inbox", inbox, name="inbox"),
    Route("/inbox", upload, methods=["POST"]),
    Route("/inbox/retry", retry_failed, methods=["POST"]),
    Route("/login", login_form, name="login"),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
