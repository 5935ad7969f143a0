"""The scheduler: repeated runs, a missed run made up once, one scheduler per database, clean stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bulletin.config import Settings, load_settings
from bulletin.errors import BulletinError
from bulletin.schedule import JOB_ID, build_scheduler, scheduler_lock
from tests.conftest import REPO

CALLS: list[dict[str, Any]] = []
RUNNER = "tests.schedule.test_schedule:fake_run"


def fake_run(settings: Settings, **kwargs: Any) -> str:
    """Stands in for run_pipeline: the scheduler's wiring is under test, not the pipeline."""
    CALLS.append({"db": str(settings.db_path), **kwargs})
    return "finished"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    CALLS.clear()
    return load_settings(env={}, overrides={"store.path": str(tmp_path / "a.db")})


def wait_for(predicate: Callable[[], object], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_short_interval_runs_the_pipeline_again_and_again(settings: Settings) -> None:
    scheduler = build_scheduler(settings, trigger=IntervalTrigger(seconds=1), runner=RUNNER)
    scheduler.resume()
    try:
        assert wait_for(lambda: len(CALLS) >= 3)
    finally:
        scheduler.shutdown(wait=True)
    assert {c["trigger"] for c in CALLS} == {"schedule"}
    assert all(isinstance(c["stop"], threading.Event) for c in CALLS)


def _move_clock_back(settings: Settings, trigger: CronTrigger, missed_at: datetime) -> None:
    """Pretend the machine was off: the stored job's next run is moved into the past."""
    scheduler = build_scheduler(settings, trigger=trigger, runner=RUNNER)
    scheduler.modify_job(JOB_ID, next_run_time=missed_at)
    scheduler.shutdown(wait=True)


def test_a_run_missed_while_off_runs_once_on_start(settings: Settings) -> None:
    # A daily run an hour before now (a fixed 07:00 is past the 6-hour grace after 13:00 UTC).
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    trigger = CronTrigger.from_crontab(f"{hour_ago.minute} {hour_ago.hour} * * *", timezone="UTC")
    now = datetime.now(trigger.timezone)
    # Three days off: three daily runs missed; the last one is within the 6-hour grace.
    _move_clock_back(settings, trigger, now - timedelta(days=2, hours=2))
    scheduler = build_scheduler(settings, trigger=trigger, runner=RUNNER)
    stored = scheduler.get_job(JOB_ID)
    assert stored.next_run_time < now  # the restart kept the pending (missed) run
    scheduler.resume()
    try:
        assert wait_for(lambda: len(CALLS) >= 1, 5)
        time.sleep(1.0)  # any extra (uncoalesced) run would show up here
        next_run = scheduler.get_job(JOB_ID).next_run_time
    finally:
        scheduler.shutdown(wait=True)
    assert len(CALLS) == 1
    assert next_run > now


def test_a_run_missed_beyond_the_grace_is_skipped(settings: Settings) -> None:
    trigger = CronTrigger.from_crontab("0 7 1 1 *", timezone="UTC")  # once a year
    _move_clock_back(settings, trigger, datetime.now(trigger.timezone) - timedelta(hours=7))
    scheduler = build_scheduler(settings, trigger=trigger, runner=RUNNER)
    scheduler.resume()
    try:
        time.sleep(1.5)
    finally:
        scheduler.shutdown(wait=True)
    assert CALLS == []


def test_restart_keeps_one_job(settings: Settings) -> None:
    for _ in range(3):
        scheduler = build_scheduler(settings, runner=RUNNER)
        jobs = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
    assert [j.id for j in jobs] == [JOB_ID]


def test_second_scheduler_on_the_same_database_refuses(settings: Settings) -> None:
    with (
        scheduler_lock(settings.db_path),
        pytest.raises(BulletinError, match="another scheduler"),
        scheduler_lock(settings.db_path),
    ):
        pass
    with scheduler_lock(settings.db_path):  # released on exit
        pass


@pytest.mark.slow
def test_schedule_command_refuses_a_twin_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "BULLETIN_DB": str(tmp_path / "a.db"), "BULLETIN_CONFIG": ""}
    command = [sys.executable, "-m", "bulletin", "schedule", "--cron", "0 7 1 1 *"]
    first = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(
            lambda: (
                Path(str(tmp_path / "a.db") + ".scheduler.lock").exists()
                and "pid" in Path(str(tmp_path / "a.db") + ".scheduler.lock").read_text()
            ),
            30,
        )
        time.sleep(0.5)
        twin = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert twin.returncode == 1
        assert (
            twin.stderr.strip().splitlines()[-1].startswith("bulletin: error: another scheduler is already")
        )
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=30)
    assert first.returncode == 0
    assert "scheduler stopped" in err
