"""An analyst's corrections to an extraction record, and the effective record they give.

The machine's record (``extractions.record``) is never changed by a review. Each accept,
reject, edit or addition is a ``Correction`` row of its own, and the record that the digest,
the Atom feed and the exports use is the machine's record with the corrections applied in
order: ``apply(record, corrections)``.

A correction names the item it acts on by ``item_key`` (kind, label and offsets, or a
penalty's person, kind and term) and keeps a copy of that item as the machine gave it
(``before``). After the rules change and the article is extracted again, the key is looked up
in the new record; failing that, the same text under the same label is; failing that, the
correction is a ``Conflict``. An analyst's word still wins in a conflict (an accepted or
edited item the rules no longer find stays in the effective record) and the review page shows
the conflict, so nothing an analyst did is dropped silently.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Kinds of item a reviewer acts on, in the order the review page lists them. "relevance" is
# the article-level verdict (is this a security case at all).
KINDS = ("relevance", "subject", "penalty", "tactic", "law", "entity")
# Where each kind lives in the extraction record.
FIELD = {
    "subject": "subjects",
    "entity": "entities",
    "tactic": "tactics",
    "penalty": "penalties",
    "law": "laws",
}
ACTIONS = ("accept", "reject", "edit", "add")
# An analyst's correction of the article's legal stage (issue 20): an "edit" whose value is
# {"label": one of records.STAGE_LABELS or None, "date": an ISO date as precise as known or None}.
STAGE_KIND = "stage"

# The queue's "uncertain" band: a relevance score this close to the 0.5 line.
UNCERTAIN_BAND = 0.25


@dataclass(frozen=True, slots=True)
class Correction:
    """One reviewer action on one item of one article's extraction."""

    action: str  # accept | reject | edit | add
    kind: str  # a key of KINDS
    target: str | None = None  # item_key of the item acted on (None for add)
    before: Mapping[str, Any] | None = None  # the item as it was when acted on
    value: Mapping[str, Any] | None = None  # the item as the reviewer left it (edit, add)
    reviewer: str = ""
    made_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Conflict:
    """A correction whose item the current machine record no longer has."""

    correction: Correction
    problem: str


@dataclass(frozen=True, slots=True)
class Effective:
    """The record after corrections, with what was decided about each item and the conflicts."""

    record: dict[str, Any]
    decisions: dict[str, str] = field(default_factory=dict)  # item_key -> action
    rejected: tuple[Correction, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    @property
    def reviewed_items(self) -> int:
        return len(self.decisions)


@dataclass(frozen=True, slots=True)
class Item:
    """One reviewable item of a record: its kind, stable key, the record's dict and its span."""

    kind: str
    key: str
    value: Mapping[str, Any]
    start: int | None = None
    end: int | None = None


def item_key(kind: str, value: Mapping[str, Any]) -> str:
    """A key naming one item of a record, stable across re-extraction of unchanged text."""
    if kind == "relevance":
        return "relevance"
    if kind == "subject":
        return f"subject:{str(value.get('name', '')).casefold()}"
    if kind == "penalty":
        where = (
            f"{value['start']}-{value['end']}"
            if "start" in value and "end" in value
            else f"{value.get('months', '')}/{value.get('amount', '')}"
        )
        return f"penalty:{str(value.get('person') or '').casefold()}:{value.get('kind', '')}:{where}"
    label = "" if kind == "law" else value.get("label", "")
    return f"{kind}:{label}:{value.get('start', '')}-{value.get('end', '')}"


def items(record: Mapping[str, Any]) -> list[Item]:
    """Every reviewable item of a record, the article's relevance verdict first."""
    out = [
        Item(
            "relevance",
            "relevance",
            {"relevant": bool(record.get("relevant")), "relevance": record.get("relevance")},
        )
    ]
    for kind in KINDS[1:]:
        for entry in record.get(FIELD[kind], ()):
            value = {"name": entry} if kind == "subject" else entry
            start, end = value.get("start"), value.get("end")
            out.append(
                Item(
                    kind,
                    item_key(kind, value),
                    value,
                    start if isinstance(start, int) else None,
                    end if isinstance(end, int) else None,
                )
            )
    return out


def _entries(record: dict[str, Any], kind: str) -> list[Any]:
    entries: list[Any] = record.setdefault(FIELD[kind], [])
    return entries


def _find(record: dict[str, Any], kind: str, key: str, before: Mapping[str, Any] | None) -> int | None:
    """Index of the item ``key`` names in ``record`` (or of the same text under the same label)."""
    entries = _entries(record, kind)
    wrap = (lambda e: {"name": e}) if kind == "subject" else (lambda e: e)
    for index, entry in enumerate(entries):
        if item_key(kind, wrap(entry)) == key:
            return index
    if before is None or kind == "subject":
        return None
    # Re-anchor: the text moved (an updated page) but says the same thing.
    text_key = "evidence" if kind in ("tactic", "penalty") else "text"
    text = before.get(text_key)
    if not text:
        return None
    for index, entry in enumerate(entries):
        if entry.get(text_key) == text and all(
            entry.get(k) == before.get(k) for k in ("label", "kind", "person") if k in before
        ):
            return index
    return None


def _unwrap(kind: str, value: Mapping[str, Any]) -> Any:
    return str(value["name"]) if kind == "subject" else dict(value)


def apply(record: Mapping[str, Any], corrections: Iterable[Correction]) -> Effective:
    """The effective record: ``record`` (never modified) with ``corrections`` applied in order."""
    out = copy.deepcopy(dict(record))
    decisions: dict[str, str] = {}
    rejected: list[Correction] = []
    # Keyed by the item kept in the record, so a later decision on that item settles it.
    conflicts: dict[str, Conflict] = {}
    for c in corrections:
        if c.kind == STAGE_KIND:
            if c.action == "edit" and c.value is not None:
                _set_stage(out, c.value)
                decisions[STAGE_KIND] = "edit"
            continue
        if c.kind == "relevance":
            # Rejecting the verdict turns it over; an edit sets it.
            if c.action == "reject":
                out["relevant"] = not out.get("relevant")
            elif c.action == "edit" and c.value is not None:
                out["relevant"] = bool(c.value.get("relevant"))
            if c.action in ("reject", "edit") and not out["relevant"]:
                # The spec's irrelevant record: empty lists (the machine's stay in its own row).
                for name in FIELD.values():
                    out[name] = []
            decisions["relevance"] = c.action
            continue
        if c.action == "add":
            if c.value is None:
                continue
            key = item_key(c.kind, c.value)
            if _find(out, c.kind, key, c.value) is None:
                _entries(out, c.kind).append(_unwrap(c.kind, c.value))
            decisions[key] = "add"
            continue
        index = _find(out, c.kind, c.target or "", c.before)
        conflicts.pop(c.target or "", None)
        if index is None:
            if c.action == "reject":
                rejected.append(c)  # gone from the rules' output as well: nothing to undo
                continue
            keep = c.value if c.action == "edit" else c.before
            if keep is not None:
                _entries(out, c.kind).append(_unwrap(c.kind, keep))
                decisions[item_key(c.kind, keep)] = c.action
                conflicts[item_key(c.kind, keep)] = Conflict(
                    c, "the current extraction no longer has this item"
                )
            continue
        entries = _entries(out, c.kind)
        if c.action == "accept":
            decisions[c.target or ""] = "accept"
        elif c.action == "reject":
            del entries[index]
            decisions[c.target or ""] = "reject"
            rejected.append(c)
        elif c.action == "edit" and c.value is not None:
            entries[index] = _unwrap(c.kind, c.value)
            decisions[item_key(c.kind, c.value)] = "edit"
    return Effective(out, decisions, tuple(rejected), tuple(conflicts.values()))


def _set_stage(record: dict[str, Any], value: Mapping[str, Any]) -> None:
    """The analyst's stage in the record: the label and date they gave, the machine's events
    kept (what the text says happened); no label removes the stage."""
    label = value.get("label")
    if not label:
        record["stage"] = None
        return
    found = record.get("stage")
    machine: dict[str, Any] = found if isinstance(found, dict) else {}
    record["stage"] = {
        **machine,
        "label": str(label),
        "date": value.get("date") or None,
        "evidence": "set by an analyst",
        "start": -1,
        "end": -1,
        "analyst": True,
        "events": list(machine.get("events", [])),
    }


def pending(effective: Effective) -> list[Item]:
    """The items of the effective record nobody has decided on yet."""
    return [item for item in items(effective.record) if item.key not in effective.decisions]


def is_reviewed(effective: Effective) -> bool:
    """Every item decided (the relevance verdict included) and no conflict open."""
    return not pending(effective) and not effective.conflicts


def confirmed(effective: Effective) -> dict[str, Any]:
    """The effective record cut down to what a reviewer decided: the record of a test set.

    Items the rules found after the review (a later extraction) are left out until someone
    reviews them, so a reviewed article stays the analysts' word, not the rules'.
    """
    record = copy.deepcopy(effective.record)
    for kind, name in FIELD.items():
        wrap = (lambda e: {"name": e}) if kind == "subject" else (lambda e: e)
        record[name] = [e for e in record.get(name, ()) if item_key(kind, wrap(e)) in effective.decisions]
    return record


def review_priority(record: Mapping[str, Any]) -> int:
    """Where an unreviewed record goes in the review queue: lower comes first.

    0: the relevance score is near the line (a case the digest may be hiding, or showing
    wrongly); 1: a relevant record with a penalty nobody is named for, or a subject with no
    penalty; 2: the rest.
    """
    score = record.get("relevance")
    if isinstance(score, int | float) and abs(score - 0.5) <= UNCERTAIN_BAND:
        return 0
    if record.get("relevant"):
        penalties: Sequence[Mapping[str, Any]] = record.get("penalties", ())
        punished = {str(p.get("person") or "").casefold() for p in penalties}
        if "" in punished and penalties:
            return 1
        if any(str(name).casefold() not in punished for name in record.get("subjects", ())):
            return 1
    return 2


def queue_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The columns the review queue sorts and filters on, taken from a record."""
    score = record.get("relevance")
    return {
        "relevance": float(score) if isinstance(score, int | float) else None,
        "review_priority": review_priority(record),
        "tactic_labels": " ".join(sorted({str(t.get("label", "")) for t in record.get("tactics", ())})),
        "subject_names": "|".join(str(s) for s in record.get("subjects", ())),
    }
