"""The ``congvan`` command. Each command is one call of a library function.

Examples::

    congvan extract corpus/seed_000.txt --json
    congvan ingest corpus/ --db congvan.db
    congvan show 3
    congvan search "quyet dinh 2629"
    congvan eval corpus/
    congvan schema
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click


def number_symbol(number: str | None, symbol: str | None) -> str:
    """:func:`extractors.keys.number_symbol`, imported when first needed (keeps start-up fast)."""
    from extractors.keys import number_symbol as ns

    return ns(number, symbol)


DB_OPTION = click.option(
    "--db", "db_path", default="congvan.db", show_default=True, type=click.Path(dir_okay=False),
    help="SQLite database file.",
)


@click.group()
@click.version_option(package_name="congvan")
def main() -> None:
    """congvan: Vietnamese official dispatches → structured, searchable records."""


def _print_record(d, out=None) -> None:
    w = out or click.echo
    plain = d.plain()

    def line(label: str, v) -> None:
        if v not in (None, "", []):
            w(f"{label:<14} {v}")

    line("type", plain["doc_type"])
    line("issuer", " / ".join(x for x in (plain["issuer_parent"], plain["issuer"]) if x))
    num = number_symbol(plain["number"], plain["symbol"]) if plain["symbol"] else None
    line("number", num)
    line("place, date", ", ".join(x for x in (plain["place"], plain["date"]) if x))
    line("subject", plain["subject"])
    line("urgency", plain["urgency"])
    line("confidential", plain["confidentiality"])
    line("key", plain["key"])
    for r in plain["recipients"]:
        line("to", r)
    for e in plain["distribution"]:
        line("copy", e["name"] + (f" ({e['purpose']})" if e["purpose"] else ""))
    s = plain["signer"]
    line("signer", " / ".join(x for x in (s["authority"], s["title"], s["name"]) if x))
    for r in plain["references"]:
        bits = [r["type"] or "", number_symbol(r["number"], r["symbol"])]
        if r["date"]:
            bits.append(f"ngày {r['date']}")
        if r["issuer"]:
            bits.append(f"của {r['issuer']}")
        line("cites", " ".join(b for b in bits if b) + f"  [{r['key']}]")
    for t in plain["tasks"]:
        due = (t["deadline"] or {}).get("date") or (t["deadline"] or {}).get("text") or "no deadline"
        line("task", f"{t['assignee'] or '?'} → {t['action'][:90]} (due: {due})")
    if d.received_number or d.received_date:
        line("received", " ".join(x for x in (
            f"số đến {d.received_number.value}" if d.received_number else "",
            f"ngày đến {d.received_date.value}" if d.received_date else "") if x))
    if d.source.ocr_confidence:
        line("OCR", "page confidence " + ", ".join(f"p{i} {c:.0f}" for i, c in enumerate(d.source.ocr_confidence, 1)))
    for reason in d.review_reasons:
        line("NEEDS REVIEW", reason)
    for x in d.warnings:
        line("warning", x)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON (the schema's contract).")
def extract(file: Path, as_json: bool) -> None:
    """Extract one FILE and print the record; stores nothing.

    Example: congvan extract corpus/seed_000.txt --json
    """
    from pipeline.ingest import NotADispatch, extract_file
    from pipeline.readers import ReadError

    try:
        d = extract_file(file)
    except (ReadError, NotADispatch) as exc:
        click.echo(f"error: {file}: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(d.model_dump_json(indent=2, exclude={"source": {"path"}}))
    else:
        _print_record(d)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@click.option("--quiet", is_flag=True, help="Only the summary.")
def ingest(paths: tuple[Path, ...], db_path: str, quiet: bool) -> None:
    """Extract and store files and folders (recursively) into the database.

    The same content twice is stored once. A file that fails is reported with its reason and
    the rest of the batch goes on.

    Example: congvan ingest corpus/ --db congvan.db
    """
    from pipeline.ingest import ingest_file, iter_files
    from pipeline.store import Store

    store = Store(db_path)
    files = list(iter_files(paths))
    outcomes = []
    with click.progressbar(files, label="ingesting", file=sys.stderr, show_pos=True, item_show_func=lambda p: p.name if p else "") as bar:
        for f in bar:
            outcomes.append(ingest_file(store, f))
    counts = Counter(o.status for o in outcomes)
    if not quiet:
        for o in outcomes:
            if o.status == "failed":
                click.echo(f"FAILED     {o.path}: {o.reason}")
            elif o.status == "duplicate":
                click.echo(f"duplicate  {o.path}: {o.reason}")
    stored = [o.record for o in outcomes if o.status == "stored" and o.record]
    click.echo(
        f"\n{len(files)} files: {counts['stored']} stored, {counts['duplicate']} duplicates, "
        f"{counts['failed']} failed → {db_path} ({store.count()} documents in store)"
    )
    if stored:
        types = Counter(d.doc_type.value if d.doc_type else "?" for d in stored)
        click.echo("types:       " + ", ".join(f"{k} {v}" for k, v in types.most_common()))
        n_refs = sum(len(d.references) for d in stored)
        n_tasks = sum(len(d.tasks) for d in stored)
        n_dated = sum(1 for d in stored for t in d.tasks if t.deadline and t.deadline.date)
        click.echo(f"extracted:   {n_refs} references, {n_tasks} tasks ({n_dated} with a due date), "
                   f"{sum(len(d.recipients) for d in stored)} recipients")
        for d in stored[:5]:
            num = number_symbol(d.number.value if d.number else None, d.symbol.value) if d.symbol else "—"
            click.echo(f"  {num:<24} {d.date.value if d.date else '':<10} {(d.subject.value if d.subject else '')[:70]}")
        if len(stored) > 5:
            click.echo(f"  … and {len(stored) - 5} more (congvan show ID, congvan search WORDS)")
    if counts["failed"] and not counts["stored"] and not counts["duplicate"]:
        sys.exit(1)


@main.command()
@click.argument("doc_id", type=int)
@DB_OPTION
@click.option("--json", "as_json", is_flag=True)
def show(doc_id: int, db_path: str, as_json: bool) -> None:
    """Show a stored document by id.  Example: congvan show 3"""
    from pipeline.store import Store
    from schemas import Dispatch

    doc = Store(db_path).get(doc_id)
    if doc is None:
        click.echo(f"error: no document {doc_id} in {db_path}", err=True)
        sys.exit(2)
    if as_json:
        doc.pop("text")
        doc["record"] = json.loads(doc["record"])
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"document {doc_id}  ({doc['source_path']}, ingested {doc['ingested_at']})")
    _print_record(Dispatch.model_validate_json(doc["record"]))


@main.command()
@click.argument("query", default="")
@DB_OPTION
@click.option("--limit", default=20, show_default=True)
@click.option("--type", "doc_type", help="Only this type: 'Quyết định', 'quyet dinh' or 'QĐ'.")
@click.option("--issuer", help="Issuing body contains this (diacritics optional): --issuer 'so noi vu'.")
@click.option("--from", "date_from", metavar="DATE", help="Issued on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Issued on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--cites", metavar="KEY", help="Only documents citing this: --cites 2629/QĐ-UBND.")
@click.option("--unresolved", is_flag=True, help="Only documents citing something not in the archive.")
@click.option("--json", "as_json", is_flag=True)
def search(query, db_path, limit, doc_type, issuer, date_from, date_to, cites, unresolved, as_json) -> None:
    """Search stored documents; diacritics optional, numbers and symbols in any spelling.

    \b
    Examples:
      congvan search "quyet dinh 2629"
      congvan search "cải cách hành chính" --type "Kế hoạch" --from 2023
      congvan search --cites 2629/QĐ-UBND
    """
    from dataclasses import asdict

    from pipeline.search import Filters, QueryError
    from pipeline.search import search as run
    from pipeline.store import Store

    filters = Filters(doc_type, issuer, date_from, date_to, cites, unresolved)
    try:
        hits = run(Store(db_path), query, limit, filters)
    except QueryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("no documents found")
    for h in hits:
        num = number_symbol(h.number, h.symbol) if h.symbol else "—"
        click.echo(f"[{h.id}] {h.doc_type or '?'} {num} {h.date or ''} — {h.subject or ''}")
        click.echo(f"      {h.snippet}")


@main.command()
@click.argument("key_or_id", required=False)
@DB_OPTION
@click.option("--depth", default=1, show_default=True, help="Follow links this many steps each way.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "dot", "mermaid"]), default="text", show_default=True)
@click.option("--unresolved", is_flag=True, help="List documents cited but not in the archive.")
def refs(key_or_id, db_path, depth, fmt, unresolved) -> None:
    """What a document cites and what cites it (by id, key, or number/symbol as typed).

    \b
    Examples:
      congvan refs 2629/QĐ-UBND            every document citing it, and what it cites if held
      congvan refs 12 --depth 2 --format dot | dot -Tsvg > refs.svg
      congvan refs --unresolved            cited, but not in the archive
    """
    from pipeline.refs import RENDERERS, NotFound, graph
    from pipeline.refs import unresolved as list_unresolved
    from pipeline.store import Store

    store = Store(db_path)
    if unresolved:
        rows = list_unresolved(store)
        if fmt == "json":
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        for r in rows if fmt != "json" else []:
            what = " ".join(x for x in (r["type"], number_symbol(r["number"], r["symbol"]), r["date"]) if x)
            click.echo(f"{r['cited_by']:>3} × {what}  [{r['key']}]")
        return
    if not key_or_id:
        raise click.UsageError("give a document id, a key or a number/symbol (or --unresolved)")
    try:
        g = graph(store, key_or_id, depth=depth)
    except NotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(RENDERERS[fmt](g))


@main.command(name="eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.option("--errors", "show_errors", multiple=True, help="List the misses of this field (repeatable; 'all' for every field).")
def eval_cmd(folder: Path, as_json: bool, show_errors: tuple[str, ...]) -> None:
    """Per-field precision/recall/F1 against the gold files in FOLDER.  Example: congvan eval corpus/"""
    from pipeline.evaluate import evaluate
    from pipeline.ingest import extract_file

    report = evaluate(folder, extract_file)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.table())
        if show_errors:
            for line in report.error_lines(None if "all" in show_errors else show_errors):
                click.echo(line)
        for f in report.failures:
            click.echo(f"failed: {f}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of a record, generated from the pydantic models."""
    from schemas import Dispatch

    click.echo(json.dumps(Dispatch.model_json_schema(), ensure_ascii=False, indent=2))


from pipeline.cli_tasks import export, tasks  # noqa: E402

main.add_command(tasks)
main.add_command(export)

from pipeline.cli_watch import watch  # noqa: E402

main.add_command(watch)

from pipeline.cli_web import serve  # noqa: E402

main.add_command(serve)


if __name__ == "__main__":
    main()
