"""Run the NLP stage over an input file or the stored articles, with progress and a count."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bulletin.config import Settings
from bulletin.corrections import apply as apply_corrections
from bulletin.errors import ExtractionError
from bulletin.inputs import read_input
from bulletin.locks import exclusive
from bulletin.records import Article, Extraction
from bulletin.store import Store

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 10.0


@dataclass
class Count:
    done: int = 0
    relevant: int = 0
    seconds: float = 0.0
    # Re-extracted articles an analyst had corrected, and of those, how many now conflict.
    reviewed: int = 0
    conflicts: int = 0
    # --input records left out (not an object with a text, not JSON...), each logged.
    skipped: int = 0


def load_pipeline(model: str | None, models_dir: Path | None = None) -> Any:
    """The spaCy pipeline, or an ExtractionError naming what is missing. Classifiers that
    `bulletin train` installed in models_dir are used instead of the shipped ones."""
    import nlp

    folders = [models_dir, nlp.MODELS] if models_dir is not None else [nlp.MODELS]
    try:
        return nlp.build_nlp(model, models=folders)
    except (ValueError, ImportError, OSError) as exc:
        raise ExtractionError(str(exc).splitlines()[0]) from None


# Called with (done, total) after each article; set when a progress display is shown
# instead of the periodic log lines.
OnProgress = Callable[[int, int | None], None]


def _progress(
    records: Iterable[Extraction], total: int | None, count: Count, on_progress: OnProgress | None = None
) -> Iterator[Extraction]:
    start = last = time.monotonic()
    if on_progress is not None:
        on_progress(0, total)
    for record in records:
        count.done += 1
        count.relevant += bool(record.relevant)
        now = time.monotonic()
        if on_progress is not None:
            on_progress(count.done, total)
        elif now - last >= PROGRESS_SECONDS:
            rate = count.done / (now - start)
            of = f"/{total} ({count.done / total:.0%})" if total else ""
            logger.info("extracted %d%s, %.1f articles/s", count.done, of, rate)
            last = now
        yield record
    count.seconds = time.monotonic() - start


def extract_input(
    source: str,
    model: str | None,
    batch_size: int,
    stdin: IO[bytes],
    out: IO[str],
    processes: int = 1,
    models_dir: Path | None = None,
) -> Count:
    """Extract the articles of an input file and write their records as JSON Lines."""
    import nlp

    items = read_input(source, stdin)  # fails fast on a missing file, before the model loads
    pipeline = load_pipeline(model, models_dir)
    count = Count()
    records = nlp.extract(pipeline, items, batch_size=batch_size, n_process=processes)
    for record in _progress(records, None, count):
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    out.flush()
    count.skipped = items.skipped
    return count


def _item(article: Article) -> dict[str, Any]:
    return {
        "id": str(article.id),
        "text": article.text,
        "url": article.url,
        "title": article.title,
        "published": article.published_at.date().isoformat() if article.published_at else None,
    }


def extract_stored(
    settings: Settings,
    model: str | None,
    redo: bool,
    on_progress: OnProgress | None = None,
    wait: float = 0.0,
    processes: int = 1,
) -> Count:
    """Extract the stored articles the current pipeline version has not seen; store each record.

    Progress goes to ``on_progress`` when given, else to a log line every
    ``PROGRESS_SECONDS``. One extraction per archive at a time: a second one waits up to
    ``wait`` seconds for the first to finish (then does what is left), or is refused with
    ``locks.Busy``, rather than redoing every article beside it. ``processes`` > 1 runs the
    pipeline in that many worker processes; this process alone writes the archive.
    """
    with exclusive(settings.db, "extract", "`bulletin extract`", wait):
        return _extract_stored(settings, model, redo, on_progress, processes)


def _extract_stored(
    settings: Settings, model: str | None, redo: bool, on_progress: OnProgress | None, processes: int
) -> Count:
    import nlp

    pipeline = load_pipeline(model, settings.models_dir)
    count = Count()
    with Store.open(settings.db) as store:
        total = store.count_to_extract(nlp.PIPELINE_VERSION, redo)
        logger.info("%d articles to extract with pipeline %s", total, nlp.PIPELINE_VERSION)
        items = (_item(a) for a in store.articles_to_extract(nlp.PIPELINE_VERSION, redo))
        records = nlp.extract(pipeline, items, batch_size=settings["nlp.batch_size"], n_process=processes)
        for record in _progress(records, total, count, on_progress):
            article_id = int(record.id or 0)
            machine = record.to_json()
            store.save_extraction(article_id, nlp.PIPELINE_VERSION, machine)
            if store.has_corrections(article_id):
                _recheck(store, article_id, machine, count)
    if count.conflicts:
        logger.warning(
            "%d reviewed articles have corrections the new extraction no longer matches; "
            "they are kept, and listed under status 'conflicts' in `bulletin review`",
            count.conflicts,
        )
    return count


@dataclass
class WorkerCount(Count):
    batches: int = 0


def work_extract(
    settings: Settings,
    model: str | None,
    worker: str,
    lease: float,
    idle: float = 0.0,
    poll: float = 1.0,
    stop: Callable[[], bool] = lambda: False,
) -> WorkerCount:
    """Claim pending articles a batch at a time, extract them and store each record.

    Any number of these run beside each other, on any machines sharing the archive
    (``Store.claim_extractions``): none extracts an article another holds. A claim lasts
    ``lease`` seconds; a worker that dies leaves its batch to expire, and the next claim
    after that takes it over. The worker stops once nothing is left to extract and no live
    claim could come back, after waiting ``idle`` seconds more for new articles (a crawl
    still running beside it), or when ``stop()`` says so.
    """
    import nlp

    pipeline = load_pipeline(model, settings.models_dir)
    count = WorkerCount()
    start = time.monotonic()
    batch_size = settings["nlp.batch_size"]
    with Store.open(settings.db) as store:
        idle_since: float | None = None
        while not stop():
            batch = store.claim_extractions(nlp.PIPELINE_VERSION, worker, batch_size, lease)
            if not batch:
                if store.live_claims():  # another worker's batch: finished, or back when it expires
                    idle_since = None
                else:
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= idle:
                        break
                time.sleep(poll)
                continue
            idle_since = None
            count.batches += 1
            for record in nlp.extract(pipeline, (_item(a) for a in batch), batch_size=batch_size):
                article_id = int(record.id or 0)
                machine = record.to_json()
                store.save_extraction(article_id, nlp.PIPELINE_VERSION, machine)
                if store.has_corrections(article_id):
                    _recheck(store, article_id, machine, count)
                store.release_claim(article_id, worker)
                count.done += 1
                count.relevant += bool(record.relevant)
            logger.info(
                "worker %s: %d extracted (%.1f articles/s)",
                worker,
                count.done,
                count.done / (time.monotonic() - start),
            )
    count.seconds = time.monotonic() - start
    return count


def _recheck(store: Store, article_id: int, machine: dict[str, Any], count: Count) -> None:
    """Re-apply an article's corrections to its new machine record; record the conflicts.

    The review status stays: a reviewed article stays reviewed (items the new rules add are
    shown as undecided on its page and left out of `export --reviewed-only`).
    """
    effective = apply_corrections(machine, store.corrections(article_id))
    store.set_review_status(article_id, store.review_state(article_id).status, len(effective.conflicts))
    count.reviewed += 1
    count.conflicts += bool(effective.conflicts)
