"""Helpers shared by the bulletin_* components: pattern files, config checks, span bookkeeping."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from spacy.tokens import Doc, Span

logger = logging.getLogger(__name__)

NOISE_KEY = "bulletin_noise"
MENTIONS_KEY = "bulletin_mentions"
# Name mentions of the other people (not subjects, officials or handlers): a penalty can still
# name one of them ("..., and Lu, a former secretary, six years"), which makes them a subject.
PEOPLE_KEY = "bulletin_people"
# Every mention of every person cluster (names, and pronouns, role nouns and groups bound to
# a cluster), labelled with the cluster's name, the kind of mention as span_id: the
# candidates the trained attribution weighs. doc.user_data[CLUSTER_SCORES] maps each
# cluster's name to the role classifier's probability that it is a defendant.
CLUSTERS_KEY = "bulletin_clusters"
CLUSTER_SCORES = "bulletin_cluster_scores"
SUBJECTS_KEY = "bulletin_subjects"
PENALTIES_KEY = "bulletin_penalties"
TACTIC_CUES_KEY = "bulletin_tactic_cues"
TACTICS_KEY = "bulletin_tactics"
LAWS_KEY = "bulletin_laws"
STAGES_KEY = "bulletin_stages"
RELEVANCE_CAT = "SECURITY_CASE"
GROUP_SEP = "|"

# Per-span payload (penalty fields, law normalisation). spaCy 3.8 keys span extension
# values by character offsets only, so two penalties sharing one evidence span (two
# people "each sentenced") share one dict, keyed here by label and span_id.
if not Span.has_extension("bulletin"):
    Span.set_extension("bulletin", default=None)


def set_payload(span: Span, value: dict[str, Any]) -> None:
    """Attach value to span, next to any payload of other spans over the same characters."""
    store = dict(span._.bulletin or {})
    store[f"{span.label_}\t{span.id_}"] = value
    span._.bulletin = store


def get_payload(span: Span) -> dict[str, Any]:
    """The payload set_payload attached to this span (empty dict when none)."""
    return dict((span._.bulletin or {}).get(f"{span.label_}\t{span.id_}", {}))


def check_config(component: str, key: str, value: Any, expected: type | tuple[type, ...]) -> None:
    """Raise a ValueError naming the expected and the received type of one config value."""
    if isinstance(value, bool) and expected in (int, float):
        raise ValueError(f"{component}: config {key!r} expected {expected.__name__}, got bool")
    if not isinstance(value, expected):
        names = expected.__name__ if isinstance(expected, type) else " or ".join(t.__name__ for t in expected)
        raise ValueError(
            f"{component}: config {key!r} expected {names}, got {type(value).__name__} {value!r}"
        )


@lru_cache(maxsize=32)
def _read_jsonl(path: str) -> tuple[dict[str, Any], ...]:
    if path.startswith("pkg:"):
        text = resources.files("nlp.patterns").joinpath(path[4:]).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not a JSON line: {exc}") from exc
    return tuple(rows)


def read_patterns(name_or_path: str) -> list[dict[str, Any]]:
    """Rows of a JSONL rule file: a bare name is looked up in nlp/patterns/, else a path."""
    if "/" not in name_or_path and "\\" not in name_or_path:
        return [dict(r) for r in _read_jsonl("pkg:" + name_or_path)]
    return [dict(r) for r in _read_jsonl(name_or_path)]


def terms(rows: Iterable[dict[str, Any]], kind: str) -> list[str]:
    """The "terms" of every row whose "kind" is kind, in file order."""
    out: list[str] = []
    for row in rows:
        if row.get("kind") == kind:
            out.extend(row.get("terms", []))
    return out


def noise_ranges(doc: Doc) -> list[tuple[int, int]]:
    """Character ranges the noise component marked (captions, image lines, trailers)."""
    if NOISE_KEY not in doc.spans:
        return []
    return [(s.start_char, s.end_char) for s in doc.spans[NOISE_KEY]]


def in_ranges(start: int, end: int, ranges: Iterable[tuple[int, int]]) -> bool:
    """Whether [start, end) overlaps any of the ranges."""
    return any(start < r_end and end > r_start for r_start, r_end in ranges)


def char_span(doc: Doc, start: int, end: int, label: str = "", span_id: str = "") -> Span | None:
    """Token span covering the characters, widened to whole tokens; None when empty."""
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    if span_id:
        span = Span(doc, span.start, span.end, label=label, span_id=span_id)
    return span
