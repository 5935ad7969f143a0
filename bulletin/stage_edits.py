"""An analyst's correction of an article's legal stage (issue 20): kept as a correction like the
review page's others (``bulletin.corrections``), so it survives re-extraction, and followed by
a relink, since a case's latest stage is its reports' stages."""

from __future__ import annotations

import re
from dataclasses import replace

from bulletin.corrections import STAGE_KIND, Correction, apply, is_reviewed
from bulletin.errors import ReviewError
from bulletin.records import STAGE_LABELS, CaseReport, stage_of
from bulletin.store import Store

_ISO = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def stage_correction(record: dict[str, object], label: str, when: str, reviewer: str) -> Correction:
    """The correction that sets the stage to ``label`` (empty: no stage) on ``when`` (an ISO
    date as precise as known: "2025", "2025-06", "2025-06-18"; empty when unknown)."""
    label, when = label.strip(), when.strip()
    if label and label not in STAGE_LABELS:
        raise ReviewError(f"stage: expected one of {', '.join(STAGE_LABELS)} (or none), got {label!r}")
    if when and not _ISO.fullmatch(when):
        raise ReviewError(f"stage date: expected YYYY, YYYY-MM or YYYY-MM-DD, got {when[:40]!r}")
    if when and not label:
        raise ReviewError("stage date: give the stage it is the date of")
    before = stage_of(dict(record))
    return Correction(
        "edit",
        STAGE_KIND,
        STAGE_KIND,
        {"label": before["label"], "date": before.get("date")} if before else {"label": None, "date": None},
        {"label": label or None, "date": when or None},
        reviewer,
    )


def correct_stage(
    store: Store, article_id: int, expected_version: int, label: str, when: str, reviewer: str
) -> None:
    """Record the analyst's stage for the article, update its review status, relink cases."""
    stored = store.stored_extraction(article_id)
    if stored is None:
        raise ReviewError(f"article {article_id} has no extraction to correct")
    correction = stage_correction(stored.record, label, when, reviewer)
    store.add_correction(article_id, expected_version, correction, stored.pipeline_version)
    after = apply(stored.record, store.corrections(article_id))
    store.set_review_status(article_id, "reviewed" if is_reviewed(after) else "started", len(after.conflicts))
    from bulletin.cases import relink

    relink(store)


def stage_and_case(store: Store, article_id: int, story_id: int | None) -> tuple[str, str]:
    """What ``bulletin show`` says of an article's stage and case: "sentencing 2025-06-18
    ("was sentenced ...")" (with the analyst's correction, if any) and "#12: <the case's gist>";
    "-" for either when there is none."""
    stored = store.stored_extraction(article_id)
    stage_line = "-"
    if stored is not None:
        stage = stage_of(apply(stored.record, store.corrections(article_id)).record)
        if stage is not None:
            stage_line = stage["label"] + (f" {stage['date']}" if stage.get("date") else "")
            evidence = "set by an analyst" if stage.get("analyst") else f'"{stage.get("evidence", "")}"'
            stage_line += f" ({evidence})"
    case_line = "-"
    case_id = store.story_case(story_id if story_id is not None else article_id)
    if case_id is not None:
        case = store.case_file(case_id)
        if case is not None:
            s = case.summary
            case_line = f"#{s.id}: {s.title} ({s.reports} report{'s' if s.reports != 1 else ''})"
    return stage_line, case_line


def with_analyst_stages(store: Store, reports: tuple[CaseReport, ...]) -> tuple[CaseReport, ...]:
    """A case's reports with the stage an analyst set in place of the machine's, where one did
    (the case file is read from the machine's records; linking reads the corrected ones)."""
    out = []
    for report in reports:
        corrections = [c for c in store.corrections(report.story_id) if c.kind == STAGE_KIND]
        stored = store.stored_extraction(report.story_id) if corrections else None
        if stored is None:
            out.append(report)
            continue
        stage = stage_of(apply(stored.record, corrections).record)
        out.append(
            replace(
                report,
                stage=stage["label"] if stage else None,
                stage_date=stage.get("date") if stage else None,
                stage_evidence="set by an analyst" if stage else "",
            )
        )
    return tuple(out)
