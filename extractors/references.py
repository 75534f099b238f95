"""Referenced documents: find every cited number and symbol, parse what surrounds it, key it.

A full first mention reads ``<type> số <number>/<symbol> ngày <date> của <issuer> về <title>``;
later mentions are short (``Quyết định 2629/QĐ-UBND``). Mentions of one document are merged
into one :class:`~schemas.DocRef` with every mention's span.

>>> refs = extract_references("Thực hiện Quyết định số 2629/QĐ-UBND ngày 23/12/2022 của UBND tỉnh "
...                           "về ban hành Kế hoạch CCHC năm 2023; theo Quyết định 2629/QĐ-UBND.")
>>> [(r.type.value, r.number.value, r.symbol.value, r.date.value, r.issuer.value, r.key) for r in refs]
[('Quyết định', '2629', 'QĐ-UBND', '2022-12-23', 'UBND tỉnh', '2629/QDUBND@2022')]
>>> refs[0].title.value, len(refs[0].mentions)
('ban hành Kế hoạch CCHC năm 2023', 2)
"""

from __future__ import annotations

import regex as re

from extractors.dates import LONG_DATE, NUMERIC_DATE, make_date
from extractors.keys import NUMBER_SYMBOL, document_key, fold_symbol, split_year
from extractors.lines import fold
from extractors.tables import DOC_TYPES, word_list
from schemas import DocRef, Extracted, Span

_TYPE_WORDS = sorted({fold(t.name) for t in DOC_TYPES} | {fold(t.abbr) for t in DOC_TYPES if len(t.abbr) >= 2}, key=len, reverse=True)
_TYPE_BEFORE = re.compile(r"(?P<type>" + "|".join(re.escape(w) for w in _TYPE_WORDS) + r")\s+(?:so\s*:?\s*)?$")
_GAP_TO_DATE = re.compile(r"^\s*,?\s*(?:(?:được\s+)?ban\s+hành\s+)?(?:ngày\s*|ngay\s*)?$")
_ISSUER = re.compile(r"^\s*,?\s*(?:của|do)\s+(?P<iss>[^,;(.:\n“\"]{2,90}?)(?=\s+(?:về|v/v|quy\s+định|hướng\s+dẫn|ban\s+hành|phê\s+duyệt|triển\s+khai|thực\s+hiện|đã|đối\s+với|tại|về\s+việc|năm\s+\d{4}\s+về)\b|[,;(.:\n“\"]|$)")
_TITLE_START = re.compile(r"^\s*,?\s*(?:về\s+việc|về|v/v|V/v)\s*:?\s+")
NAMED_STARTS = word_list("named_reference_starts.txt")
_NAMED = re.compile(
    r"(?<![\p{L}])(?P<head>" + "|".join(re.escape(w) for w in NAMED_STARTS) + r")\s+(?P<rest>\p{L}[^;.\n(]{8,200})"
)
_NAMED_STOP = re.compile(
    r",\s+(?!bổ\s+sung|chống)|\s+(?:số\s+\d|của\s+(?!Luật)|ngày\s+\d|đã|được|do|tại|theo|và\s+(?:các|Đề án|Kế hoạch|Nghị))\b"
    r"|\s+(?=ngày\s+\d)|\s*$"
)
_NOT_FIRST = set(word_list("named_reference_not_first.txt"))
_LAW_DATE = re.compile(r"\s+ngày\s+\d{1,2}(?:/\d{1,2}/\d{4}|\s+tháng\s+\d{1,2}\s+năm\s+\d{4})")


def _title_end(text: str, s: int, limit: int) -> int:
    """End of a cited document's title: the end of its clause, quotes respected."""
    depth = 0
    i = s
    while i < limit:
        c = text[i]
        if c in "“":
            depth += 1
        elif c in "”" and depth:
            depth -= 1
            if depth == 0 and i + 1 < limit and text[i + 1] in ";.,\n":
                return i + 1
        elif c == '"':
            depth = 0 if depth else 1
        elif depth == 0:
            if c in ";\n":
                return i
            if c == "." and (i + 1 >= limit or text[i + 1] in " \n/"):
                return i
            if c == "," and re.match(r",\s+\p{Lu}", text[i : i + 3]):
                return i
            if text.startswith("(sau đây", i):
                return i
        i += 1
    return limit


def _footnote_zones(text: str) -> list[Span]:
    """Spans of footnote lines (they start with a superscript number)."""
    return [m.span() for m in re.finditer(r"(?m)^[¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*.*$", text)]


def _parse_mention(text: str, m: re.Match) -> dict:
    """What one mention says: type, number, symbol, date, issuer, title (each with a span)."""
    out: dict = {"span": [m.start(), m.end()]}
    if m["party"]:
        out["number"] = (m["num"], m.span("num"))
        out["symbol"] = (f"{m['ptype']}/{m['pbody']}", (m.start("ptype"), m.end("pbody")))
    else:
        out["number"] = (m["num"], m.span("num"))
        ys = m.start("year") if m["year"] else m.start("sym")
        out["symbol"] = (text[ys : m.end("sym")], (ys, m.end("sym")))
    line_start = text.rfind("\n", 0, m.start()) + 1
    window_s = max(line_start, m.start() - 40)
    before = fold(text[window_s : m.start()])
    tm = _TYPE_BEFORE.search(before)
    if tm:
        ts = window_s + tm.start("type")
        out["type"] = (text[ts : window_s + tm.end("type")], (ts, window_s + tm.end("type")))
        out["span"][0] = ts
    pos = m.end()
    # date
    for pat in (LONG_DATE, NUMERIC_DATE):
        dm = pat.search(text, pos, min(len(text), pos + 60))
        if dm and _GAP_TO_DATE.match(text[pos : dm.start()]):
            d = make_date(int(dm["y"]), int(dm["m"]) if dm["m"] else None, int(dm["d"]) if dm["d"] and dm["m"] else None)
            if d:
                out["date"] = (d.root, dm.span())
                pos = dm.end()
                break
    # issuer
    im = _ISSUER.match(text[pos : pos + 120])
    if im:
        s, e = pos + im.start("iss"), pos + im.end("iss")
        out["issuer"] = (text[s:e].strip(), (s, e))
        pos = e
    # title
    tm2 = _TITLE_START.match(text[pos : pos + 20])
    if tm2:
        s = pos + tm2.end()
        e = _title_end(text, s, min(len(text), s + 400))
        title = text[s:e].strip().strip("“”\"").strip()
        if title:
            out["title"] = (re.sub(r"\s*\n\s*", " ", title), (s, e))
            pos = e
    out["span"][1] = max(out["span"][1], pos)
    return out


def _ex(pair: tuple[str, Span] | None, confidence: float) -> Extracted[str] | None:
    return Extracted[str](value=pair[0], span=pair[1], confidence=confidence) if pair else None


def extract_references(text: str, exclude: list[Span] | None = None) -> list[DocRef]:
    """Every numbered document cited in ``text`` (spans in ``exclude`` are skipped), merged per document."""
    exclude = exclude or []
    notes = _footnote_zones(text)
    groups: dict[tuple[str, str, int | None], list[dict]] = {}
    for m in NUMBER_SYMBOL.finditer(text):
        if any(a <= m.start() < b for a, b in exclude):
            continue
        sym_text = m["ptype"] + m["pbody"] if m["party"] else m["sym"]
        if sum(c.isupper() or c == "đ" for c in sym_text) < 2:
            continue
        mention = _parse_mention(text, m)
        mention["in_footnote"] = any(a <= m.start() < b for a, b in notes)
        number = mention["number"][0].lstrip("0").lower() or "0"
        sym_year, sym = split_year(mention["symbol"][0])
        year = sym_year or (int(mention["date"][0][:4]) if "date" in mention else None)
        groups.setdefault((number, fold_symbol(sym), year), []).append(mention)

    # A mention without a year belongs to the document with the same number and symbol, if only one.
    for (num, sym, year), mentions in list(groups.items()):
        if year is None:
            dated = [k for k in groups if k[0] == num and k[1] == sym and k[2] is not None]
            if len(dated) == 1:
                groups[dated[0]].extend(mentions)
                del groups[(num, sym, year)]

    refs: list[DocRef] = []
    for (_num, _sym, year), mentions in groups.items():
        mentions.sort(key=lambda x: x["span"][0])
        richest = max(mentions, key=lambda x: (len(x) - ("type" not in x), -x["span"][0]))
        first = mentions[0]
        order = (richest, first, *mentions)

        def pick(field: str, order: tuple[dict, ...] = order) -> tuple[str, Span] | None:
            return next((src[field] for src in order if field in src), None)

        number = richest["number"]
        symbol = richest["symbol"]
        ref = DocRef(
            type=_ex(first.get("type") or pick("type"), 0.9),
            number=_ex(number, 0.97),
            symbol=_ex(symbol, 0.95),
            date=_ex(pick("date"), 0.95),
            issuer=_ex(pick("issuer"), 0.8),
            title=_ex(pick("title"), 0.7),
            key=document_key(number[0], symbol[0], year),
            span=tuple(richest["span"]),
            in_footnote=all(x["in_footnote"] for x in mentions),
            mentions=[tuple(x["span"]) for x in mentions],
            confidence=0.95 if year else 0.8,
        )
        refs.append(ref)
    refs.sort(key=lambda r: r.mentions[0][0])
    return refs


def extract_named_references(text: str, exclude: list[Span] | None = None) -> list[Extracted[str]]:
    """Unnumbered programmes, plans, laws and criteria cited by name.

    >>> [r.value for r in extract_named_references("theo Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030; Nghị quyết số 12")]
    ['Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030']
    """
    exclude = exclude or []
    out: list[Extracted[str]] = []
    seen: set[str] = set()
    for m in _NAMED.finditer(text):
        if any(a <= m.start() < b for a, b in exclude):
            continue
        rest_s = m.start("rest")
        first = m["rest"].split(maxsplit=1)[0] if m["rest"].split() else ""
        named_like = first[:1].isupper() or first[:1] in "“\"" or re.search(r"giai đoạn \d{4}|quốc gia", m["rest"][:160])
        if first.lower() in _NOT_FIRST or (m["head"] == "Chương trình" and not named_like):
            continue  # "Đề án trên địa bàn ...": the word used as a plain noun
        stop = _NAMED_STOP.search(text, rest_s - 1, m.end())
        e = stop.start() if stop else m.end()
        if m["head"] in ("Luật", "Bộ luật") and (law_date := _LAW_DATE.match(text, e)):
            e = law_date.end()  # "Luật Lưu trữ ngày 11 tháng 11 năm 2011": the date tells two laws apart
        name = re.sub(r"\s+", " ", text[m.start() : e]).strip(" ,")
        words = name.split()
        if len(words) < 4 or NUMBER_SYMBOL.search(name):
            continue
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        out.append(Extracted[str](value=name, span=(m.start(), m.start() + len(text[m.start():e].rstrip(" ,"))), confidence=0.6))
    return out
