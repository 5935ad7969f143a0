"""`bulletin schedule`: APScheduler wiring only. Its job calls the same function as `bulletin run`.

- The job lives in a persistent job store inside the archive database, so a run missed
  while the machine was off is run once on start (misfire grace of hours, coalesce),
  never several times.
- A lock file beside the database keeps a second scheduler from starting.
- SIGTERM (or Ctrl-C) stops the scheduler; a run in progress stops its crawl and is
  recorded as abandoned.
- On start, runs left "running" by a process that died (SIGKILL, a crash, power loss) are
  recorded as abandoned and their orphaned crawl children stopped; the period of a scheduled
  run that was abandoned (so, or by a stop) and never completed since is run once more, if
  it started within the misfire grace. APScheduler had already moved that job to its next
  time, so without this the period's digest would never come.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bulletin.config import Settings
from bulletin.database import is_url, sqlalchemy_url
from bulletin.locks import exclusive
from bulletin.periods import key_day
from bulletin.recovery import recover
from bulletin.store import Store, utcnow

logger = logging.getLogger(__name__)

JOB_ID = "bulletin-run"
RUNNER = "bulletin.run:run_pipeline"

# Set when this process is shutting down; the running job passes it to the pipeline,
# which then stops its crawl child. One per process, like the signal that sets it.
STOPPING = threading.Event()


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped: its classes are Any
    """APScheduler 3.11's BackgroundScheduler, minus a shutdown race.

    ``shutdown()`` marks the scheduler stopped and then wakes its thread, which runs one
    more round of ``_process_jobs`` with executors already shut down: a due job then
    fails to submit and its next run time is advanced, so a missed run would be lost.
    A stopped scheduler processes nothing here.
    """

    def _process_jobs(self) -> float | None:
        """Seconds until the next due job (None: none), as APScheduler's own."""
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


def scheduled_run(
    settings_data: dict[str, Any], runner: str = RUNNER, send: bool = False, period: str = ""
) -> None:
    """The job: load the settings it was scheduled with and run the pipeline once.

    ``period`` (a period key) runs that period again instead of the last complete day.
    """
    module, _, name = runner.partition(":")
    run = getattr(importlib.import_module(module), name)
    which: dict[str, Any] = {}
    if period:
        kind, day = key_day(period)
        which = {"period_kind": kind, "day": day}
    result = run(Settings.from_dict(settings_data), trigger="schedule", send=send, stop=STOPPING, **which)
    logger.info("scheduled run %s: %s", getattr(result, "run_id", "?"), getattr(result, "status", result))


def job_store_url(db: str) -> str:
    """The SQLAlchemy URL of APScheduler's job store: the archive's own database."""
    return sqlalchemy_url(db) if is_url(db) else f"sqlite:///{db}"


@contextmanager
def scheduler_lock(db: str | Path) -> Iterator[None]:
    """Hold the scheduler's lock on this archive or refuse to start (``bulletin.locks.exclusive``:
    ``<db>.scheduler.lock``, or an advisory lock on PostgreSQL; the holder's death drops it,
    so a crash never leaves a stale lock)."""
    with exclusive(db, "scheduler", "scheduler"):
        yield


def build_scheduler(
    settings: Settings,
    trigger: BaseTrigger | None = None,
    runner: str = RUNNER,
    send: bool = False,
) -> BackgroundScheduler:
    """A started-paused scheduler holding exactly one job; call ``resume()`` to let it run.

    The stored job is kept as it is when its trigger is unchanged, so its pending
    ``next_run_time`` (perhaps in the past: a missed run) survives a restart; only a
    changed cron or time zone replaces it.
    """
    # The archive first: a foreign or newer file is refused before the job store writes
    # its table into it, and a new one is created as ours.
    Store.open(settings.db).close()
    grace = int(float(settings["schedule.misfire_grace_hours"]) * 3600)
    scheduler = _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(url=job_store_url(settings.db))},
        # One worker: a run made up after a crash and the regular run queue, never overlap.
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=settings["schedule.timezone"],
    )
    trigger = trigger or CronTrigger.from_crontab(
        settings["schedule.cron"], timezone=settings["schedule.timezone"]
    )
    scheduler.start(paused=True)
    kwargs = {"settings_data": settings.to_dict(), "runner": runner, "send": send}
    job = scheduler.get_job(JOB_ID)
    if job is None or str(job.trigger) != str(trigger) or job.kwargs != kwargs:
        scheduler.add_job(
            scheduled_run, trigger, id=JOB_ID, name="bulletin run", kwargs=kwargs, replace_existing=True
        )
    scheduler.add_listener(_log_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _log_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        logger.warning("missed the run due at %s (later than the misfire grace)", event.scheduled_run_time)
    elif event.exception is not None:
        logger.error("scheduled run raised %r", event.exception)


def make_up(
    scheduler: BackgroundScheduler, settings: Settings, runner: str = RUNNER, send: bool = False
) -> list[str]:
    """Close the runs whose process died, then queue one run of each scheduled period that
    was abandoned within the misfire grace and never completed since; return those periods."""
    grace = timedelta(hours=float(settings["schedule.misfire_grace_hours"]))
    with Store.open(settings.db) as store:
        recover(store)
        periods = store.abandoned_periods("schedule", utcnow() - grace)
    for period in periods:
        logger.warning("the scheduled run of %s was abandoned: running it again", period)
        kwargs = {"settings_data": settings.to_dict(), "runner": runner, "send": send, "period": period}
        # Stored like the regular job: if this process dies before it runs, the next start
        # still has it (and coalesces it with the one added then).
        scheduler.add_job(
            scheduled_run,
            DateTrigger(utcnow()),
            id=f"{JOB_ID}-again-{period}",
            name=f"bulletin run again ({period})",
            kwargs=kwargs,
            replace_existing=True,
        )
    return periods


def serve(
    settings: Settings,
    send: bool = False,
    stop: threading.Event | None = None,
    trigger: BaseTrigger | None = None,
) -> None:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop``), holding the database's lock.

    ``trigger`` replaces the cron of the settings (tests).
    """
    stop = stop or STOPPING
    with scheduler_lock(settings.db):
        scheduler = build_scheduler(settings, trigger=trigger, send=send)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        make_up(scheduler, settings, send=send)
        scheduler.resume()
        job = scheduler.get_job(JOB_ID)
        logger.info(
            "scheduler started: %s (%s); next run %s",
            settings["schedule.cron"],
            settings["schedule.timezone"],
            job.next_run_time if job else "none",
        )
        stop.wait()
        STOPPING.set()
        logger.info("stopping: waiting for a run in progress to wind down")
        scheduler.shutdown(wait=True)
        logger.info("scheduler stopped")
