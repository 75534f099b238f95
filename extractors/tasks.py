"""Tasks: who must do what, by when.

Four shapes are recognised (see ``corpus/README.md`` for the annotation rules they follow):

1. a lead-in ``... đề nghị <ai> thực hiện một số nội dung sau:`` and the numbered items under it;
2. per-agency items (``- Sở Tư pháp đánh giá nội dung theo Phụ lục III;``), one task each;
3. a request sentence ``đề nghị / yêu cầu <ai> <làm gì> ...`` (a bare closing formula is not a task);
4. ``Giao <ai> <làm gì>`` and ``<ai> chịu trách nhiệm thi hành Quyết định này``.

Deadlines are found once over the whole text (:mod:`extractors.deadlines`) and attached to the
task whose item or sentence contains them.

>>> text = "Sở Nội vụ đề nghị các cơ quan, đơn vị góp ý dự thảo và gửi về Sở Nội vụ trước ngày 02/12/2022./."
>>> [(t.assignee.value, t.action.value, t.send_to) for t in extract_tasks(text, 0, len(text))]
[('các cơ quan, đơn vị', 'góp ý dự thảo và gửi về Sở Nội vụ trước ngày 02/12/2022', 'Sở Nội vụ')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import regex as re

from extractors.agencies import find_agencies
from extractors.lines import fold, split_lines, strip_span
from extractors.tables import word_list
from schemas import Deadline, Extracted, Span, Task

ITEM = re.compile(r"^(?P<marker>\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ][.)]|[-–+•*]|Điều\s+\d+[.:])\s+")
SECTION = re.compile(r"^(?:[IVX]{1,5}|[A-Z])[.)]\s")
_VERBS = word_list("action_verbs.txt")
# a verb right after đã/chưa/được... belongs to a relative clause inside the assignee
# ("các đơn vị đã gửi báo cáo nhưng ...") and does not start the action
_VERB = re.compile(
    r"(?<![\p{L}])(?<!(?:đã|chưa|không|được|đang|sẽ|vừa|mới)\s)"
    r"(?:" + "|".join(re.escape(v) for v in sorted(_VERBS, key=len, reverse=True)) + r")(?![\p{L}])"
)
_HEADS = word_list("agency_heads.txt")
# an agency head must be followed by a name (capitalised), a locality or "các": "Ban hành" is a verb
_AGENCY_START = re.compile(
    r"^(?:" + "|".join(re.escape(h) for h in sorted(_HEADS, key=len, reverse=True)) + r")"
    r"(?=\s+(?:\p{Lu}|tỉnh|huyện|thành\s+phố|thị\s+xã|xã|quận|phường|các|cấp|và|Trung)|\s*[:,;]|$)"
)
_ADDRESSEE = word_list("addressee_starts.txt")
_GROUP_START = re.compile(r"^Các\s+\p{Ll}")
# an item that opens with a time or basis clause and names its actor after the comma(s)
_FRONTED = re.compile(
    r"^(?:Định\s+kỳ|Căn\s+cứ|Trên\s+cơ\s+sở|Sau\s+khi|Trước\s+ngày|Trong|Đến|Từ|Hằng|Hàng|Khi|Để)\b[^.;:]{0,120}?,\s*"
    r"(?:[^,.;:]{0,40}?,\s*)?(?=các\s|Các\s|\p{Lu})"
)
_NOT_ACTION = re.compile(r"^(?:Ông|Bà|Đồng\s+chí|đồng\s+chí|có\s+nhiệm\s+vụ|là\b|gồm\b)")
_REQUEST = re.compile(
    r"(?<![\p{L}])(?<!(?:không|theo|ứng|các|những|sơ|được|xét|văn bản|tờ trình)\s)"
    r"(?:(?:[Kk]ính\s+)?[Đđ]ề\s+nghị|[Yy]êu\s+cầu|[Gg]iao)\s+(?!của\b|tại\b|số\b|nêu\b|này\b|trên\b|khen\b|gia\s+hạn\b)"
)
_RESPONSIBLE = re.compile(r"\s+chịu\s+trách\s+nhiệm\s+(?:thi\s+hành|tổ\s+chức\s+thực\s+hiện|thực\s+hiện)")
_LEAD_END = re.compile(r":\s*$")
_SEND = re.compile(
    r"gửi\s+(?P<what>(?:[^,;.()]|\([^)]*\)){0,80}?)\s*(?:về|đến|tới|cho)\s+(?P<to>[^,;.(]+?)"
    r"(?=\s+(?:trước|chậm\s+nhất|trong|để|qua|theo|bằng|đồng\s+thời|định\s+kỳ|hằng|hàng|và\s+(?:đồng|gửi))\b|[,;.(]|$)"
)
_DELIVERABLES = word_list("deliverables.txt")
_DELIVERABLE_NOUN = re.compile(
    r"(?<![\p{L}])(?i:" + "|".join(re.escape(w) for w in sorted(_DELIVERABLES, key=len, reverse=True)) + r")"
    r"(?:\s+(?!(?:về|đến|tới|cho|trước|chậm|qua|theo|để|và|trong|trên|của|kèm|với|tại|khẩn|gửi|nộp)\b)[\p{L}\d/-]+){0,4}"
)
_CHANNEL = re.compile(r"^\s*\(?\s*(qua\s+[^,;.()]+(?:\([^)]*\))?[^,;.()]*)\)?")
_FORMULAIC = set(word_list("formulaic_actions.txt"))
_DELIVERABLE = word_list("deliverable_verbs.txt")
_GENERIC = set(word_list("generic_assignees.txt"))


@dataclass
class Unit:
    """A paragraph or a list item of the body."""

    start: int
    end: int
    level: int  # 0 paragraph, 1 numbered, 2 lettered / sub-numbered, 3 bullet
    body: int  # where the text after the marker starts
    children: list[Unit] = field(default_factory=list)


def _level(marker: str) -> int:
    if marker.startswith("Điều"):
        return 1
    if marker[0].isdigit():
        return 1 + marker.count(".") - (1 if marker.endswith(".") else 0)
    if marker[0].isalpha():
        return 2
    return 3


def _units(text: str, start: int, end: int) -> list[Unit]:
    """Paragraphs and items of ``text[start:end]``, wrapped lines joined."""
    units: list[Unit] = []
    for ln in split_lines(text[start:end]):
        s, e = start + ln.start, start + ln.end
        if not ln.text or ln.text[0] in "¹²³⁴⁵⁶⁷⁸⁹⁰":
            continue
        m = ITEM.match(ln.text)
        prev = units[-1] if units else None
        if (
            not m
            and prev is not None
            and not text[prev.start:prev.end].rstrip().endswith((".", ":", ";", "!", "?"))
            and ln.text[:1].islower()
        ):
            prev.end = e
            continue
        if m:
            units.append(Unit(s, e, _level(m["marker"]), s + m.end()))
        else:
            units.append(Unit(s, e, 0, s))
    return units


def _nest(units: list[Unit]) -> list[Unit]:
    """Attach deeper items to the item above them."""
    top: list[Unit] = []
    stack: list[Unit] = []
    for u in units:
        if u.level == 0:
            top.append(u)
            stack = []
            continue
        while stack and stack[-1].level >= u.level:
            stack.pop()
        if stack:
            stack[-1].children.append(u)
        else:
            top.append(u)
        stack.append(u)
    return top


def _extent(u: Unit) -> int:
    return max([u.end] + [_extent(c) for c in u.children])


def plausible_assignee(who: str) -> bool:
    """An assignee names a body or people: ``các cơ quan``, ``Sở Tư pháp``, ``Quý cơ quan``."""
    f = fold(who).lstrip("( ")
    return bool(_AGENCY_START.match(who)) or any(f == w or f.startswith(w + " ") for w in _ADDRESSEE)


def _who_end(text: str, s: int, limit: int, names: tuple[str, ...] = ()) -> int | None:
    """Where the assignee phrase starting at ``s`` ends: before the first action verb.

    A known addressee name at ``s`` is taken whole (``Ban Quản lý dự án đầu tư xây dựng ...``
    contains a verb but is one name).
    """
    fs = fold(text[s : s + 300])
    start = s
    for name in names:
        if len(name) > 3 and fs.startswith(fold(name)):
            start = s + len(name)  # the verb comes after the whole name
            break
    m = _VERB.search(text, start, min(limit, s + 220))
    if m and m.start() > s:
        return m.start()
    if m is None:
        return _who_end_by_pos(text, s, min(limit, s + 120))
    return None


def _who_end_by_pos(text: str, s: int, e: int) -> int | None:
    """Fallback: the first verb by underthesea's POS tagger."""
    tags = _pos_tag(text[s:e])
    pos = 0
    seen_noun = False
    for word, tag in tags:
        i = text.find(word, s + pos, e)
        if i < 0:
            continue
        if tag == "V" and seen_noun and word[:1].islower():
            return i
        if tag in ("N", "Np", "Nc"):
            seen_noun = True
        pos = i - s + len(word)
    return None


@cache
def _pos_tagger():
    from underthesea import pos_tag

    return pos_tag


def _pos_tag(s: str) -> list[tuple[str, str]]:
    return _pos_tagger()(s)


_DIRECTS = re.compile(r"\s(?:chỉ\s+đạo|giao|yêu\s+cầu|đôn\s+đốc|hướng\s+dẫn)\s+(?=các\s|\p{Lu})")


def _lead_who(text: str, s: int, colon: int) -> int | None:
    """Assignee end in a lead-in: before the verb phrase that ends at the colon.

    ``đề nghị UBND các xã, phường:`` has no verb: the assignee runs to the colon.
    ``đề nghị các Sở GDĐT chỉ đạo các trường thực hiện ...:`` asks the Sở (who directs others).
    """
    verbs = list(_VERB.finditer(text, s, colon))
    if not verbs:
        return colon if colon - s < 200 else None
    i = len(verbs) - 1
    while i > 0 and re.fullmatch(r"[\s,]*(?:và\s+)?", text[verbs[i - 1].end() : verbs[i].start()]):
        i -= 1
    end = verbs[i].start()
    d = _DIRECTS.search(text, s, end)
    if d:
        end = d.start()
    return end if end > s else None


def _lead_in(text: str, s: int, e: int, names: tuple[str, ...], item: bool = True) -> Span | None:
    """The assignee of a lead-in ending with ``:`` (``đề nghị X thực hiện các nội dung sau:``)."""
    seg = text[s:e].rstrip()
    colon = s + len(seg) - 1
    rm = _REQUEST.search(text, s, colon)
    if rm:
        we = _lead_who(text, rm.end(), colon)
        if we:
            who = _clean(text, rm.end(), we)
            if plausible_assignee(text[who[0]:who[1]]):
                return who
        return None
    if item and _AGENCY_START.match(seg):  # "1. Sở Nội vụ:" or "Sở Y tế chủ trì các việc sau:"
        we = _who_end(text, s, colon, names) or colon
        return _clean(text, s, we)
    return None


def _clean(text: str, s: int, e: int) -> Span:
    s, e = strip_span(text, s, e, " \t\n,;:.-/")
    while e > s and text[s:e].endswith(("./", " và")):
        e -= 3 if text[s:e].endswith(" và") else 2
        s, e = strip_span(text, s, e, " \t\n,;:.-/")
    return s, e


_DELIVERABLE_RE = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in _DELIVERABLE) + r")(?!\w)")
_FORMULAIC_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(_FORMULAIC, key=len, reverse=True)) + r")(?!\w)"
)
_HEAD_SPLIT = re.compile(r"\s*;\s*|,\s+(?=" + "|".join(re.escape(h) for h in _HEADS if h[0].isupper()) + r")")


def _is_formulaic(action: str) -> bool:
    """A bare closing formula (``quan tâm, phối hợp thực hiện``) asks for nothing concrete."""
    f = fold(action)
    if _DELIVERABLE_RE.search(f):
        return False
    return len(re.findall(r"\w+", _FORMULAIC_RE.sub(" ", f))) <= 2


def _sentences(text: str, s: int, e: int) -> list[Span]:
    """Sentences of one paragraph, by underthesea's sentence splitter, as spans."""
    from underthesea import sent_tokenize

    out = []
    pos = s
    for sent in sent_tokenize(text[s:e]):
        i = text.find(sent[:20], pos, e)
        if i < 0:
            continue
        j = i + len(sent)
        out.append((i, min(j, e)))
        pos = j
    return out or [(s, e)]


@dataclass
class _Found:
    who: Span | None
    action: Span
    span: Span


def _task_in(
    text: str, s: int, e: int, lead_who: Span | None = None, item: bool = True, names: tuple[str, ...] = ()
) -> _Found | None:
    """A task stated in ``text[s:e]`` (an item body, or a sentence when ``item`` is false)."""
    seg = text[s:e]
    m = _REQUEST.search(text, s, e)
    if m and m.start() - s < 120:
        we = _who_end(text, m.end(), e, names)
        if we:
            who = _clean(text, m.end(), we)
            if plausible_assignee(text[who[0]:who[1]]):
                return _Found(who, _clean(text, we, e), (s, e))
    r = _RESPONSIBLE.search(text, s, e)
    if r:
        return _Found(_clean(text, s, r.start()), _clean(text, r.start(), e), (s, e))
    if item and (_AGENCY_START.match(seg) or _GROUP_START.match(seg)):
        colon = seg.find(":")
        we = _who_end(text, s, e, names)
        if 0 < colon < 120 and (we is None or s + colon < we):
            if _NOT_ACTION.match(seg[colon + 1 :].lstrip()):
                return None  # "Trưởng ban: Ông Nguyễn Văn A" — a list of members, not a task
            return _Found(_clean(text, s, s + colon), _clean(text, s + colon + 1, e), (s, e))
        if we and not _NOT_ACTION.match(text[we:e]):
            return _Found(_clean(text, s, we), _clean(text, we, e), (s, e))
        if 0 < colon < 120 and _NOT_ACTION.match(seg[colon + 1 :].lstrip()):
            return None  # "Trưởng ban: Ông Nguyễn Văn A" — a list of members, not a task
        if lead_who is None and e - s < 120 and not we:
            return _Found(_clean(text, s, e), (e, e), (s, e))
    if item:
        fm = _FRONTED.match(seg)
        if fm:  # "Định kỳ hằng tháng, trước ngày 25, các địa phương báo cáo ..."
            ws = s + fm.end()
            we = _who_end(text, ws, e, names)
            if we and plausible_assignee(text[ws:we]) and we - ws < 120:
                return _Found(_clean(text, ws, we), _clean(text, we, e), (s, e))
    if lead_who is not None:
        return _Found(lead_who, _clean(text, s, e), (s, e))
    return None


def _make(text: str, f: _Found, deadlines: list[Deadline], recipients: list[str], extent: int | None = None) -> Task:
    span_end = extent if extent is not None else f.span[1]
    action_end = max(f.action[1], span_end) if extent is not None else f.action[1]
    action_s, action_e = _clean(text, f.action[0], action_end)
    action = re.sub(r"\s*\n\s*", " ", text[action_s:action_e])
    who = None
    assignees: list[str] = []
    if f.who and f.who[0] < f.who[1]:
        who_text = re.sub(r"\s*\n\s*", " ", text[f.who[0]:f.who[1]])
        who = Extracted[str](value=who_text, span=f.who, confidence=0.8)
        assignees = resolve_assignees(who_text, recipients)
    inside = [d for d in deadlines if f.span[0] <= d.span[0] and d.span[1] <= span_end]
    dated = [d for d in inside if d.date is not None]
    deadline = (dated or inside or [None])[0]
    send_to = deliverable = None
    sm = _SEND.search(text, f.span[0], span_end)
    if sm:
        send_to = sm["to"].strip()
        deliverable = re.sub(r"\s*\([^)]*\)?", "", sm["what"]).strip() or None
        ch = _CHANNEL.match(text[sm.end():min(span_end, sm.end() + 160)])
        if ch:
            send_to = f"{send_to} ({ch.group(1).strip()})"
    if deliverable is None:
        dm = _DELIVERABLE_NOUN.search(text, action_s, action_e)
        if dm and sm:
            deliverable = dm.group().strip()
    return Task(
        assignee=who,
        assignees=assignees,
        action=Extracted[str](value=action, span=(action_s, action_e), confidence=0.75),
        deliverable=deliverable,
        send_to=send_to,
        deadline=deadline,
        span=(f.span[0], span_end),
        confidence=0.8 if who else 0.5,
    )


def resolve_assignees(who: str, recipients: list[str]) -> list[str]:
    """Named bodies behind an assignee phrase; the addressees when it means "all of you".

    >>> resolve_assignees("các cơ quan, đơn vị", ["Sở Tư pháp", "Sở Y tế"])
    ['Sở Tư pháp', 'Sở Y tế']
    >>> resolve_assignees("Sở Nội vụ, Sở Tư pháp; Văn phòng UBND tỉnh", [])
    ['Sở Nội vụ', 'Sở Tư pháp', 'Văn phòng UBND tỉnh']
    """
    f = fold(who).strip(" ,;.")
    if f in _GENERIC or (f.startswith(("cac co quan, don vi", "nhu tren")) and recipients):
        return list(recipients) or [who]
    named = find_agencies(who, recipients)
    if named and sum(len(n) for n in named) >= len(who) * 0.6:
        return named  # the phrase is (mostly) a list of this document's addressees
    parts = _HEAD_SPLIT.split(who)
    return [p.strip(" ,;.") for p in parts if p.strip(" ,;.")]


def extract_tasks(
    text: str,
    start: int,
    end: int,
    deadlines: list[Deadline] | None = None,
    recipients: list[str] | None = None,
) -> list[Task]:
    """Tasks in the body ``text[start:end]`` (see the module docstring)."""
    deadlines = deadlines or []
    recipients = recipients or []
    tasks: list[Task] = []
    lead: Span | None = None

    names = tuple(sorted(recipients, key=len, reverse=True))

    def walk(items: list[Unit], lead_who: Span | None) -> None:
        for u in items:
            body = text[u.body:u.end]
            kids = u.children
            agency_kids = [k for k in kids if _AGENCY_START.match(text[k.body:k.end])]
            if kids and len(agency_kids) * 2 >= len(kids):
                walk(kids, None)
                continue
            if kids and body.rstrip().endswith(":"):
                # an item that introduces sub-items: they inherit its assignee
                walk(kids, _lead_in(text, u.body, u.end, names) or lead_who)
                continue
            f = _task_in(text, u.body, u.end, lead_who, names=names)
            if f is None:
                if kids:
                    walk(kids, lead_who)
                continue
            if f.action[0] >= f.action[1] and not kids:
                continue
            if f.who is not None and lead_who is None and f.action[0] < f.action[1] and _REQUEST.search(text, u.body, u.end) and _is_formulaic(text[f.action[0]:f.action[1]]):
                continue
            tasks.append(_make(text, f, deadlines, recipients, extent=_extent(u) if kids else None))
            if body.rstrip().endswith(":") and not kids:
                continue

    for u in _nest(_units(text, start, end)):
        if u.level == 0:
            para = text[u.start:u.end]
            if SECTION.match(para):
                lead = None
                continue
            if _LEAD_END.search(para):
                lead = _lead_in(text, u.start, u.end, names, item=False) or lead
                continue
            for ss, se in _sentences(text, u.start, u.end):
                f = _task_in(text, ss, se, item=False, names=names)
                if f is None or f.who is None or f.action[0] >= f.action[1]:
                    continue
                action = text[f.action[0]:f.action[1]]
                has_deadline = any(ss <= d.span[0] < se and d.date for d in deadlines)
                if not has_deadline and _is_formulaic(action):
                    continue
                tasks.append(_make(text, f, deadlines, recipients))
        else:
            walk([u], lead)
    return tasks
