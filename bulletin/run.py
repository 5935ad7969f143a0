"""`bulletin run`: crawl the enabled sources, extract what is new, render (and mail) the digest.

The crawl runs in a child process (Scrapy's reactor cannot be restarted, and the
scheduler calls this function many times in one process). A failing stage is recorded
and the run goes on: the digest is rendered from whatever was collected.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bulletin.config import Settings
from bulletin.crawl import crawl_problems, failed_sources
from bulletin.errors import BulletinError
from bulletin.periods import Period, period_for
from bulletin.processes import owner_of
from bulletin.recovery import recover
from bulletin.store import Store, utcnow

logger = logging.getLogger(__name__)

# How long a crawl may take to shut down after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 30


@dataclass
class RunResult:
    run_id: int
    status: str
    period: Period
    crawl_run_id: int | None = None
    extracted: int = 0
    cases: int = 0
    outputs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sent: str = ""


def run_pipeline(
    settings: Settings,
    *,
    trigger: str = "manual",
    period_kind: str = "daily",
    day: date | None = None,
    send: bool = False,
    out_dir: Path | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """One whole run, recorded in the store's pipeline_runs table."""
    now = now or utcnow()
    stop = stop or threading.Event()
    period = period_for(period_kind, settings["digest.timezone"], now, day)
    with Store.open(settings.db) as store:
        recover(store)  # runs whose process died must not stay "running", nor their crawls run on
        result = RunResult(store.start_pipeline_run(trigger, period.key), "running", period)
    logger.info("run %d: %s digest for %s", result.run_id, period.kind, period.label)
    failed: list[str] = []
    try:
        result.crawl_run_id, failed = _crawl(settings, stop, result.problems, result.run_id)
        if stop.is_set():
            result.status = "abandoned"
            return result
        result.extracted = _extract(settings, result.problems)
        _link(settings, result.problems)
        _alert(settings, result.problems)
        _digest(settings, period, failed, send, out_dir, result)
        result.status = "finished" if not result.problems else "finished with problems"
    except Exception as exc:  # a bug must not kill the scheduler: record it, log the traceback
        logger.exception("run %d failed", result.run_id)
        result.problems.append(f"run failed: {exc}")
        result.status = "failed"
    finally:
        with Store.open(settings.db) as store:
            store.finish_pipeline_run(
                result.run_id,
                result.status,
                crawl_run_id=result.crawl_run_id,
                extracted=result.extracted,
                cases=result.cases,
                outputs=result.outputs,
                problems=result.problems,
            )
    return result


def _crawl(
    settings: Settings, stop: threading.Event, problems: list[str], pipeline_run: int
) -> tuple[int | None, list[str]]:
    """Crawl every enabled source in a child process; return its crawl run and the failed sources."""
    with Store.open(settings.db) as store:
        before = store.runs(1)
    command = [sys.executable, "-m", "bulletin", "-q"]
    for path in settings.files:
        command += ["--config", path]
    command += ["--db", str(settings.db), "crawl"]
    # The crawl's summary table goes to stderr with the logs: stdout is for the digest paths.
    child = subprocess.Popen(command, stdout=sys.stderr)  # noqa: S603 (our interpreter, our arguments)
    with Store.open(settings.db) as store:
        # If this process dies now, the next start finds the child by this and stops it.
        store.set_pipeline_crawl(pipeline_run, owner_of(child.pid))
    limit = float(settings["schedule.run_timeout_minutes"]) * 60
    waited = 0.0
    while child.poll() is None:
        if stop.is_set() or waited >= limit:
            reason = "stopping" if stop.is_set() else f"crawl ran over {limit / 60:.0f} minutes"
            problems.append(f"crawl stopped: {reason}")
            child.terminate()  # Scrapy closes its spiders cleanly on SIGTERM
            try:
                child.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            break
        stop.wait(1.0)
        waited += 1.0
    with Store.open(settings.db) as store:
        after = store.runs(1)
        if not after or (before and after[0]["id"] == before[0]["id"]):
            problems.append(f"crawl did not start (exit code {child.returncode})")
            return None, sorted(s.name for s in settings.sources.values() if s.enabled)
        run_id = int(after[0]["id"])
        if after[0]["status"] == "running":
            # The child ended before it could record its run (a SIGTERM while Scrapy was still
            # starting, before its signal handlers were in place; a crash): the row must not
            # stay "running" for ever, so the parent closes it.
            store.finish_run(run_id, "abandoned" if stop.is_set() else "failed")
            problems.append(f"crawl ended before recording its run (exit code {child.returncode})")
        stats = store.run_stats(run_id)
    failed = failed_sources(stats)
    if child.returncode not in (0, None):
        problems.append(f"crawl exited with code {child.returncode}")
    problems.extend(crawl_problems(stats))
    if failed:
        problems.append(f"sources failed: {', '.join(failed)}")
    return run_id, failed


def _extract(settings: Settings, problems: list[str]) -> int:
    from bulletin.extracting import extract_stored

    model = settings["nlp.model"] or None
    try:
        # A `bulletin extract` running beside the run is waited for: it does the same work.
        wait = float(settings["schedule.run_timeout_minutes"]) * 60
        return extract_stored(
            settings, model, redo=False, wait=wait, processes=settings["nlp.processes"]
        ).done
    except BulletinError as exc:
        problems.append(f"extraction failed: {exc}")
        return 0


def _link(settings: Settings, problems: list[str]) -> None:
    """Link the stories into cases after extraction, so the digest reads the links, never makes them."""
    from bulletin.cases import relink

    try:
        with Store.open(settings.db) as store:
            relink(store)
    except BulletinError as exc:
        problems.append(f"case linking failed: {exc}")


def _alert(settings: Settings, problems: list[str]) -> None:
    """Raise and deliver the watchlists' alerts of what this run stored and extracted."""
    from bulletin.alerts import check_after_extraction

    alerted = check_after_extraction(settings, problems)
    if alerted is not None:
        problems.extend(alerted.problems)


def _digest(
    settings: Settings,
    period: Period,
    failed: list[str],
    send: bool,
    out_dir: Path | None,
    result: RunResult,
) -> None:
    from bulletin.digesting import build_digest, build_feed, send_digest, write_digest

    with Store.open(settings.db) as store:
        # Built now, after the crawl (not at the run's start): its arrival window must end
        # after what this run stored.
        digest = build_digest(store, period, failed, utcnow(), near_line=settings["digest.near_line"])
        result.cases = len(digest.cases)
        out = out_dir or Path(settings["digest.out_dir"]).expanduser()
        paths = write_digest(
            digest,
            period,
            list(settings["digest.formats"]),
            out,
            settings["digest.templates"],
            feed=build_feed(store, digest),
            feed_url=settings["digest.feed_url"],
        )
        result.outputs = [str(p) for p in paths]
        if send:
            try:
                result.sent = send_digest(settings, store, digest, period)
            except BulletinError as exc:
                result.problems.append(f"digest not sent: {exc}")
