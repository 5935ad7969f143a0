"""Turn a review form into a ``Correction``, refusing bad input with a message that says why.

Nothing here writes: the view stores the correction only once it is valid, so a negative
term, an unknown label or a span outside the text changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from bulletin.corrections import FIELD, Correction, Item, item_key
from bulletin.errors import ReviewError
from digest.filters import PENALTY_ORDER, TACTIC_WORDS

TACTIC_LABELS = tuple(TACTIC_WORDS)
PENALTY_KINDS = PENALTY_ORDER
# spaCy's English NER labels (en_core_web_sm), the ones the record's entities carry.
ENTITY_LABELS = (
    "PERSON",
    "ORG",
    "GPE",
    "NORP",
    "LOC",
    "FAC",
    "DATE",
    "TIME",
    "MONEY",
    "CARDINAL",
    "ORDINAL",
    "QUANTITY",
    "PERCENT",
    "EVENT",
    "LAW",
    "PRODUCT",
    "WORK_OF_ART",
    "LANGUAGE",
)
LABELS = {"tactic": TACTIC_LABELS, "entity": ENTITY_LABELS, "penalty": PENALTY_KINDS}
MAX_MONTHS = 1200  # a hundred years: longer terms are typing errors, life is its own kind
# Fields of a penalty besides person and kind that the form edits; empty means "absent".
PENALTY_NUMBERS = ("months", "amount")
# The longest value each form field may have, in characters. A name no article gives is
# refused here, before it could reach the archive, every digest and every relink; names,
# labels and numbers are short, a note is a sentence or two, ``q`` carries the queue's filters.
FIELD_LIMITS = {"note": 500, "q": 2000, "csrf_token": 200}
FIELD_LIMIT = 200  # every other field: a name, a person, a label, a number, an id


def check_lengths(form: MultiDict[str, str]) -> None:
    """Refuse a form with a field longer than its limit (``FIELD_LIMITS``), naming it."""
    for name, value in form.items(multi=True):
        limit = FIELD_LIMITS.get(name, FIELD_LIMIT)
        if len(value) > limit:
            raise ReviewError(f"{name[:40]!r} is {len(value):,} characters long; at most {limit} are taken")


def _span(form: Mapping[str, str], text: str) -> tuple[int, int] | None:
    raw_start, raw_end = form.get("start", "").strip(), form.get("end", "").strip()
    if not raw_start and not raw_end:
        return None
    try:
        start, end = int(raw_start), int(raw_end)
    except ValueError:
        raise ReviewError(f"span {raw_start!r}-{raw_end!r}: start and end must be whole numbers") from None
    if not 0 <= start < end <= len(text):
        raise ReviewError(f"span {start}-{end} is outside the article's text (0-{len(text)})")
    if not text[start:end].strip():
        raise ReviewError(f"span {start}-{end} covers only white space")
    return start, end


def _label(kind: str, value: str) -> str:
    allowed = LABELS[kind]
    if value not in allowed:
        raise ReviewError(f"{kind} label {value!r} is not one of: {', '.join(allowed)}")
    return value


def _number(name: str, raw: str) -> int | float | None:
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise ReviewError(f"{name} {raw!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ReviewError(f"{name} {raw!r} is not a number")
    if number < 0:
        raise ReviewError(f"{name} cannot be negative ({raw})")
    if name == "months":
        if number != int(number):
            raise ReviewError(f"months must be a whole number ({raw})")
        if number > MAX_MONTHS:
            raise ReviewError(f"months {raw} is over {MAX_MONTHS}; for life use life_imprisonment")
        return int(number)
    return int(number) if number == int(number) else number


def _currency(raw: str) -> str | None:
    raw = raw.strip().upper()
    if not raw:
        return None
    if len(raw) != 3 or not raw.isalpha() or not raw.isascii():
        raise ReviewError(f"currency {raw!r} is not a three-letter ISO 4217 code (CNY, USD, TWD…)")
    return raw


def build_item(
    kind: str, form: Mapping[str, str], text: str, base: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The item a form describes, starting from ``base`` (the item edited) when there is one."""
    if kind not in FIELD:
        raise ReviewError(f"unknown kind {kind!r}: one of {', '.join(FIELD)}")
    item: dict[str, Any] = dict(base or {})
    span = _span(form, text)
    if kind == "subject":
        name = " ".join(form.get("name", "").split()) or (text[span[0] : span[1]].strip() if span else "")
        if not name:
            raise ReviewError("a subject needs a name (type it, or select it in the text)")
        return {"name": name}
    if span is None and base is None:
        raise ReviewError(f"select the {kind}'s words in the text first")
    if span is not None:
        item.update(start=span[0], end=span[1])
    start, end = item.get("start"), item.get("end")
    words = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
    if kind == "entity":
        item.update(text=words, label=_label(kind, form.get("label", item.get("label", ""))))
    elif kind == "tactic":
        item.update(evidence=words, label=_label(kind, form.get("label", item.get("label", ""))))
    elif kind == "law":
        item["text"] = words
    elif kind == "penalty":
        item["kind"] = _label(kind, form.get("penalty_kind", item.get("kind", "")))
        person = " ".join(form.get("person", item.get("person") or "").split())
        item["person"] = person or None
        if words:
            item["evidence"] = words
        for name in PENALTY_NUMBERS:
            if name in form:
                number = _number(name, form[name])
                item.pop(name, None)
                if number is not None:
                    item[name] = number
        if "currency" in form:
            currency = _currency(form["currency"])
            item.pop("currency", None)
            if currency is not None:
                item["currency"] = currency
        if "amount" in item and "currency" not in item:
            raise ReviewError("an amount needs its currency")
    return item


def decision(action: str, item: Item, reviewer: str) -> Correction:
    """Accept or reject one item as it stands."""
    if action not in ("accept", "reject"):
        raise ReviewError(f"unknown action {action!r}")
    return Correction(action, item.kind, item.key, dict(item.value), None, reviewer)


def edit(item: Item, form: Mapping[str, str], text: str, reviewer: str) -> Correction:
    if item.kind == "relevance":
        raise ReviewError("the verdict is changed with relevant / not a case, not edited")
    base = dict(item.value)
    value = build_item(item.kind, form, text, base)
    if item_key(item.kind, value) == item.key and value == base:
        raise ReviewError("nothing changed")
    return Correction("edit", item.kind, item.key, base, value, reviewer)


def add(kind: str, form: Mapping[str, str], text: str, reviewer: str) -> Correction:
    value = build_item(kind, form, text, None)
    return Correction("add", kind, None, None, value, reviewer)


def verdict(relevant: bool, reviewer: str, machine: Mapping[str, Any]) -> Correction:
    """The article marked a security case or not."""
    before = {"relevant": bool(machine.get("relevant")), "relevance": machine.get("relevance")}
    return Correction("edit", "relevance", "relevance", before, {"relevant": relevant}, reviewer)
