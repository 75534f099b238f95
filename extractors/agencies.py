"""Find known agency names inside a phrase, with spaCy's PhraseMatcher.

A task says "Giám đốc Sở Y tế, Sở Giáo dục và Đào tạo phối hợp ..."; the document's addressees
are "Sở Y tế", "Sở Giáo dục và Đào tạo", "UBND các huyện". The matcher finds which addressees a
phrase names, on token boundaries and without regard to case (``attr="LOWER"``), which a plain
substring search gets wrong (``Sở Y tế`` inside ``Sở Y tế dự phòng``) and a regex per name makes
slow. spaCy's multilingual blank pipeline tokenises Vietnamese by syllable and needs no model.

>>> find_agencies("Giám đốc Sở Y tế, Sở Giáo dục và Đào tạo", ["Sở Y tế", "Sở Giáo dục và Đào tạo", "UBND huyện"])
['Sở Y tế', 'Sở Giáo dục và Đào tạo']
>>> find_agencies("Sở Y tế dự phòng", ["Sở Y tế dự phòng tỉnh"])
[]
"""

from __future__ import annotations

from functools import cache, lru_cache


@cache
def _nlp():
    import spacy

    return spacy.blank("xx")


@lru_cache(maxsize=64)
def _matcher(names: tuple[str, ...]):
    """One matcher per list of names (a document's addressees), reused for all its tasks."""
    from spacy.matcher import PhraseMatcher

    nlp = _nlp()
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("AGENCY", list(nlp.tokenizer.pipe(names)))
    return matcher


def find_agencies(phrase: str, names: list[str]) -> list[str]:
    """The ``names`` that occur in ``phrase`` as whole tokens, in the order they occur (longest wins)."""
    if not phrase or not names:
        return []
    from spacy.util import filter_spans

    doc = _nlp().make_doc(phrase)
    spans = [doc[s:e] for _, s, e in _matcher(tuple(names))(doc)]
    found = []
    for span in sorted(filter_spans(spans), key=lambda sp: sp.start):
        name = next((n for n in names if n.lower() == span.text.lower()), None)
        if name and name not in found:
            found.append(name)
    return found
