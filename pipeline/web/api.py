"""The JSON API under ``/api/``: the same library calls as the pages, described by ``/api/openapi.json``.

Answers are built through the pydantic models below, and the OpenAPI document is generated from
those same models (:func:`openapi`), so the description cannot drift from what is sent.
POST requests need the CSRF cookie's value in ``X-CSRF-Token`` (any page or ``GET /api/stats``
sets the cookie), or ``Authorization: Bearer <token>`` when the server has credentials.

>>> spec = openapi()
>>> spec["openapi"], sorted(spec["paths"])[:3], "DocumentOut" in spec["components"]["schemas"]
('3.1.0', ['/api/documents/{doc_id}', '/api/documents/{doc_id}/corrections', '/api/documents/{doc_id}/corrections/revert'], True)
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pipeline import corrections as corr
from pipeline.archive import ArchiveError
from pipeline.export import TrackedTask, tracked_task
from pipeline.ingest import NotADispatch
from pipeline.readers import ReadError
from pipeline.refs import NotFound, graph
from pipeline.tracker import STATUSES, TaskNotFound, list_tasks, set_status
from pipeline.web import board, pages, views
from pipeline.web.app import run
from pipeline.web.inbox import retry
from pipeline.web.security import csrf_protected
from schemas import Dispatch

# --- models -----------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    error: str


class StatsOut(BaseModel):
    documents: int
    open_tasks: int
    overdue: int
    due_this_week: int
    unresolved: int = Field(description="documents cited but not in the archive")
    corrected: int = Field(description="documents with at least one correction")


class FacetValue(BaseModel):
    value: str | int
    count: int


class SearchHitOut(BaseModel):
    id: int
    url: str
    title: str
    key: str | None = None
    doc_type: str | None = None
    number: str | None = None
    symbol: str | None = None
    date: str | None = None
    issuer: str | None = None
    subject: str | None = None
    snippet_html: str = Field(description="escaped text, query words in <mark>")
    open_tasks: int = 0
    overdue_tasks: int = 0


class SearchOut(BaseModel):
    query: str
    total: int = Field(description="matching documents; with filters, counted up to 1001 (see more)")
    more: bool = Field(False, description="more than 1,000 documents match")
    sampled: bool = Field(False, description="facets were counted on the 1,000 newest matches only")
    page: int
    pages: int
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValue]] = Field(description="type, issuer, year, tasks (open / overdue)")
    error: str | None = None


class FieldOut(BaseModel):
    path: str = Field(description="the field's path, as used for corrections: subject, recipients.0, tasks.1.deadline.date")
    label: str
    value: str | None
    span: tuple[int, int] | None = None
    confidence: float | None = None
    corrected: bool = False
    original: str | None = Field(None, description="the extracted value, when corrected")
    corrected_by: str | None = None
    corrected_at: str | None = None


class ReferenceOut(BaseModel):
    index: int
    label: str
    key: str
    span: tuple[int, int]
    in_footnote: bool
    resolved: bool
    target_id: int | None = None
    fields: list[FieldOut]


class CitedByOut(BaseModel):
    id: int
    label: str
    date: str | None = None
    subject: str | None = None


class CorrectionOut(BaseModel):
    id: int
    document_id: int
    field: str
    value: str | None
    original: str | None
    who: str | None
    at: str
    action: str


class DocumentOut(BaseModel):
    id: int
    key: str | None
    sha256: str
    source_path: str | None
    media_type: str | None
    ingested_at: str | None
    original_url: str | None
    fields: list[FieldOut]
    references: list[ReferenceOut]
    cited_by: list[CitedByOut]
    tasks: list[TrackedTask]
    corrections: list[CorrectionOut]
    warnings: list[str]
    record: Dispatch


class NodeOut(BaseModel):
    id: str
    key: str | None
    label: str
    in_archive: bool
    doc_id: int | None = None
    date: str | None = None
    subject: str | None = None


class EdgeOut(BaseModel):
    src: str
    dst: str
    resolved: bool
    type: str | None = None
    date: str | None = None
    in_footnote: bool = False


class GraphOut(BaseModel):
    root: list[str]
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class InboxItemOut(BaseModel):
    name: str
    size: int | None = None
    at: str | None = None
    reason: str | None = None
    reason_vi: str | None = None
    doc_id: int | None = None
    title: str | None = None


class InboxOut(BaseModel):
    folder: str
    watching: bool
    queued: list[InboxItemOut]
    done: list[InboxItemOut]
    duplicates: list[InboxItemOut]
    failed: list[InboxItemOut]
    log: list[str]


class AcceptedOut(BaseModel):
    name: str
    kind: str
    size: int
    original: str | None = None


class RefusedOut(BaseModel):
    name: str
    reason: str


class UploadOut(BaseModel):
    accepted: list[AcceptedOut]
    refused: list[RefusedOut]


class CorrectionIn(BaseModel):
    field: str = Field(description="a field path, e.g. subject, signer.name, references.0.date")
    value: str | None = Field(description="the right value; null or blank clears the field; dates dd/mm/yyyy or ISO")
    who: str | None = Field(None, description="ignored when logged in (the account name is used)")


class RevertIn(BaseModel):
    field: str
    who: str | None = None


class TaskStatusIn(BaseModel):
    status: str = Field(description=" | ".join(STATUSES))
    note: str | None = Field(None, description="null keeps the note, blank clears it")
    who: str | None = None


class RetryIn(BaseModel):
    name: str = Field(description="a file name listed under failed")


class RetryOut(BaseModel):
    name: str


class TaskOut(BaseModel):
    id: int
    status: str
    note: str | None
    updated_at: str | None


# --- helpers ----------------------------------------------------------------------------------------


def ok(model: BaseModel | list, status: int = 200) -> Response:
    if isinstance(model, list):
        body = "[" + ",".join(m.model_dump_json() for m in model) + "]"
    else:
        body = model.model_dump_json()
    return Response(body, status, media_type="application/json")


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse(ErrorOut(error=message).model_dump(), status)


async def body(request: Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(json.loads(await request.body() or b"{}"))
    except (ValueError, ValidationError) as exc:
        raise BadRequest(str(exc)) from None


class BadRequest(Exception):
    pass


def _field_out(f: views.FieldView) -> FieldOut:
    c = f.correction
    return FieldOut(path=f.path, label=f.label, value=f.value, span=f.span, confidence=f.confidence,
                    corrected=c is not None, original=c.original if c else None, corrected_by=c.who if c else None,
                    corrected_at=c.at if c else None)


def document_out(v: views.DocumentView, link: str) -> DocumentOut:
    d = v.doc
    fields = v.general + v.recipients + v.named_references
    fields += [f for e in v.distribution for f in (e["name"], e["purpose"])]
    fields += [f for t in v.tasks for f in t["fields"]]
    fields += [f for x in v.deadlines for f in (x["text"], x["date"])]
    rows = [t["row"] for t in v.tasks if t["row"]] + v.detached_tasks
    return DocumentOut(
        id=d["id"], key=d["key"], sha256=d["sha256"], source_path=d["source_path"], media_type=d["media_type"],
        ingested_at=d["ingested_at"], original_url=f"/documents/{d['id']}/original" if v.has_original else None,
        fields=[_field_out(f) for f in fields],
        references=[ReferenceOut(index=r["index"], label=r["label"], key=r["key"], span=r["span"],
                                 in_footnote=r["in_footnote"], resolved=r["target"] is not None,
                                 target_id=r["target"]["id"] if r["target"] else None,
                                 fields=[_field_out(f) for f in r["fields"]]) for r in v.references],
        cited_by=[CitedByOut(**c) for c in v.cited_by],
        tasks=[tracked_task(r, link) for r in rows],
        corrections=[CorrectionOut(**vars(c)) for c in v.history], warnings=v.warnings, record=v.record,
    )


# --- endpoints --------------------------------------------------------------------------------------


async def spec(request: Request) -> Response:
    return JSONResponse(openapi())


async def stats(request: Request) -> Response:
    h = await run(request, board.home_page, pages.today(request))
    return ok(StatsOut(documents=h.documents, open_tasks=h.open_tasks, overdue=h.overdue, due_this_week=h.due_this_week,
                       unresolved=h.unresolved, corrected=h.corrected))


async def search(request: Request) -> Response:
    args = pages._search_args(request)
    r = await run(request, views.search_page, **args, today=pages.today(request))
    return ok(SearchOut(
        query=r.query, total=r.total, more=r.more, sampled=r.sampled, page=r.page, pages=r.pages, error=r.error,
        hits=[SearchHitOut(**{k: v for k, v in h.items() if k not in ("snippet", "score")}, url=f"/documents/{h['id']}",
                           snippet_html=str(h["snippet"])) for h in r.hits],
        facets={k: [FacetValue(value=v, count=n) for v, n in vals] for k, vals in r.facets.items()},
    ), 400 if r.error else 200)


async def document(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        v = await run(request, views.document_page, doc_id, None, pages.today(request))
    except views.PageNotFound:
        return error(f"no document {doc_id}", 404)
    return ok(document_out(v, request.app.state.config.link()))


async def refs(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    depth = max(1, min(3, pages._int(request.query_params.get("depth")) or 1))
    try:
        g = await run(request, graph, str(doc_id), depth)
    except NotFound as exc:
        return error(str(exc), 404)
    return ok(GraphOut(root=g.root, nodes=[NodeOut(**vars(n)) for n in g.nodes.values()],
                       edges=[EdgeOut(**vars(e)) for e in g.edges]))


@csrf_protected
async def correct(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        data = await body(request, CorrectionIn)
        c = await run(request, corr.correct, doc_id, data.field, data.value, who=request.scope.get("user") or data.who)
    except BadRequest as exc:
        return error(str(exc), 400)
    except corr.CorrectionError as exc:
        return error(str(exc), 422)
    except LookupError:
        return error(f"no document {doc_id}", 404)
    return ok(CorrectionOut(**vars(c)), 201 if c.id else 200)


@csrf_protected
async def revert(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        data = await body(request, RevertIn)
        c = await run(request, corr.revert, doc_id, data.field, who=request.scope.get("user") or data.who)
    except BadRequest as exc:
        return error(str(exc), 400)
    except LookupError as exc:
        return error(str(exc), 404)
    return ok(CorrectionOut(**vars(c)), 201)


@csrf_protected
async def reextract(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    try:
        await run(request, corr.reextract, doc_id)
        v = await run(request, views.document_page, doc_id, None, pages.today(request))
    except ArchiveError as exc:
        return error(f"no original in the archive: {exc}", 409)
    except (ReadError, NotADispatch) as exc:
        return error(str(exc), 422)
    except (LookupError, views.PageNotFound):
        return error(f"no document {doc_id}", 404)
    return ok(document_out(v, request.app.state.config.link()))


async def tasks(request: Request) -> Response:
    q = request.query_params
    rows = await run(request, board.board_rows, q.get("assignee") or None, q.get("status") or None, pages.today(request))
    link = request.app.state.config.link()
    return ok([tracked_task(r, link) for r in rows])


@csrf_protected
async def task_status(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    try:
        data = await body(request, TaskStatusIn)
        row = await run(request, set_status, task_id, data.status, note=data.note,
                        who=request.scope.get("user") or data.who)
    except BadRequest as exc:
        return error(str(exc), 400)
    except TaskNotFound as exc:
        return error(str(exc), 404)
    except ValueError as exc:
        return error(str(exc), 422)
    rows = await run(request, list_tasks, doc_id=row["document_id"], today=pages.today(request))
    match = [r for r in rows if r["id"] == task_id]
    return ok(tracked_task(match[0], request.app.state.config.link()) if match else TaskOut(**row))


async def inbox(request: Request) -> Response:
    s = await run(request, pages.state_of(request))
    items = {k: [InboxItemOut(**vars(i)) for i in getattr(s, k)] for k in ("queued", "done", "duplicates", "failed")}
    return ok(InboxOut(folder=s.folder, watching=s.watching, log=s.log, **items))


@csrf_protected
async def upload(request: Request) -> Response:
    form = await request.form()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        return error("no files: send multipart/form-data with one or more 'files' parts", 400)
    cfg = request.app.state.config
    r = await run_in_threadpool(pages.save_all, cfg.inbox, files, cfg.max_upload)
    return ok(UploadOut(accepted=r["accepted"], refused=r["refused"]), r["status"])


@csrf_protected
async def retry_failed(request: Request) -> Response:
    try:
        data = await body(request, RetryIn)
        name = await run_in_threadpool(retry, request.app.state.config.inbox, data.name)
    except BadRequest as exc:
        return error(str(exc), 400)
    except (FileNotFoundError, OSError):
        return error("no such failed file", 404)
    return ok(RetryOut(name=name))


# --- the OpenAPI document ------------------------------------------------------------------------------

DOC_ID = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "integer"}}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _q(name: str, description: str, kind: str = "string") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


SEARCH_PARAMS = [
    _q("q", "words, numbers or symbols; diacritics optional"), _q("type", "document type, e.g. Quyết định"),
    _q("issuer", "issuing body, exactly as listed in the facets"), _q("year", "year of issue", "integer"),
    _q("tasks", "open | overdue: only documents with such tasks"), _q("page", "page of 20 hits", "integer"),
    _q("cites", "only documents citing this number/symbol or key, e.g. 2629/QĐ-UBND"),
]
TASK_PARAMS = [_q("assignee", "assignee contains (diacritics optional)"),
               _q("status", "pending (default: open + in_progress) | all | open | in_progress | done | cancelled")]

# (method, path, summary, parameters, request model, response model, status)
OPERATIONS: list[tuple[str, str, str, list, type[BaseModel] | None, Any, int]] = [
    ("get", "/api/stats", "Counts shown on the home page", [], None, StatsOut, 200),
    ("get", "/api/search", "Search documents, with facets", SEARCH_PARAMS, None, SearchOut, 200),
    ("get", "/api/documents/{doc_id}", "A document: fields (with corrections), references, cited by, tasks",
     [DOC_ID], None, DocumentOut, 200),
    ("get", "/api/documents/{doc_id}/refs", "The citation graph around a document",
     [DOC_ID, _q("depth", "1 to 3", "integer")], None, GraphOut, 200),
    ("post", "/api/documents/{doc_id}/corrections", "Correct a field", [DOC_ID], CorrectionIn, CorrectionOut, 201),
    ("post", "/api/documents/{doc_id}/corrections/revert", "Give a field back its extracted value", [DOC_ID],
     RevertIn, CorrectionOut, 201),
    ("post", "/api/documents/{doc_id}/reextract", "Extract the archived original again (corrections kept)",
     [DOC_ID], None, DocumentOut, 200),
    ("get", "/api/tasks", "Tasks of the board's filter", TASK_PARAMS, None, list[TrackedTask], 200),
    ("get", "/api/tasks/export.{fmt}", "The board's filter as a file: csv (UTF-8 with BOM), ics (RFC 5545) or json",
     [{"name": "fmt", "in": "path", "required": True, "schema": {"enum": ["csv", "ics", "json"]}}, *TASK_PARAMS],
     None, "file", 200),
    ("post", "/api/tasks/{task_id}/status", "Change a task's status (and note)", [TASK_ID], TaskStatusIn, TrackedTask, 200),
    ("get", "/api/inbox", "Queued, done, duplicate and failed files of the inbox", [], None, InboxOut, 200),
    ("post", "/api/inbox", "Upload files into the inbox (multipart, field 'files')", [], "multipart", UploadOut, 201),
    ("post", "/api/inbox/retry", "Put a failed file back into the inbox", [], RetryIn, RetryOut, 200),
]


def openapi() -> dict:
    """The OpenAPI 3.1 document of the API; schemas generated from the pydantic models."""
    models = {m for op in OPERATIONS for m in (op[4], op[5]) if isinstance(m, type) and issubclass(m, BaseModel)}
    models |= {ErrorOut, TrackedTask}
    inputs = {op[4] for op in OPERATIONS if isinstance(op[4], type)}
    _, top = models_json_schema(
        [(m, "validation" if m in inputs else "serialization") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = top.get("$defs", {})

    def ref(m: Any) -> dict:
        if m == "file":
            return {"type": "string", "format": "binary"}
        if getattr(m, "__origin__", None) is list:
            return {"type": "array", "items": ref(m.__args__[0])}
        return {"$ref": f"#/components/schemas/{m.__name__}"}

    paths: dict[str, dict] = {}
    for method, path, summary, params, req, resp, status in OPERATIONS:
        op: dict[str, Any] = {
            "summary": summary, "operationId": method + "_" + re.sub(r"\W+", "_", path[5:]).strip("_"),
            "responses": {str(status): {"description": "OK", "content": {
                media: {"schema": ref(resp)} for media in (
                    ("text/csv", "text/calendar", "application/json") if resp == "file" else ("application/json",))}}},
        }
        if params:
            op["parameters"] = params
        if req == "multipart":
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}
        elif req is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(req)}}}
        errors = {"400": "bad request", "404": "not found", "422": "refused (the message says why)"}
        if method == "post":
            errors |= {"403": "missing or wrong CSRF token", "413": "upload too large"}
        for code, text in errors.items():
            op["responses"].setdefault(code, {"description": text, "content": {"application/json": {"schema": ref(ErrorOut)}}})
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "congvan", "version": "1", "description": (
            "Vietnamese official dispatches: search, documents with corrections, citations, tasks, inbox. "
            "POST needs the CSRF cookie's value in X-CSRF-Token, or Authorization: Bearer <token>.")},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "congvan_session"}},
        },
    }


ROUTES = [
    Route("/api/openapi.json", spec),
    Route("/api/stats", stats),
    Route("/api/search", search),
    Route("/api/documents/{doc_id:int}", document),
    Route("/api/documents/{doc_id:int}/refs", refs),
    Route("/api/documents/{doc_id:int}/corrections", correct, methods=["POST"]),
    Route("/api/documents/{doc_id:int}/corrections/revert", revert, methods=["POST"]),
    Route("/api/documents/{doc_id:int}/reextract", reextract, methods=["POST"]),
    Route("/api/tasks", tasks),
    Route("/api/tasks/export.{fmt}", pages.export),
    Route("/api/tasks/{task_id:int}/status", task_status, methods=["POST"]),
    Route("/api/inbox", inbox),
    Route("/api/inbox", upload, methods=["POST"]),
    Route("/api/inbox/retry", retry_failed, methods=["POST"]),
]
