"""SIGKILL of the scheduler in the middle of a run: the run is closed, its orphaned crawl
stopped, and the period run again once on the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from bulletin.processes import Owner, alive
from bulletin.store import Store
from tests.conftest import REPO
from tests.faults.conftest import hostile_config, wait_for
from tests.faults.hostile import hang_first, hostile_server, static

EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'

# The scheduler with a daily trigger whose first time is a second after start: a restart
# finds the same stored job, whose next run APScheduler already moved to tomorrow.
DRIVER = """
import logging, sys
from datetime import datetime, timedelta, timezone
from apscheduler.triggers.interval import IntervalTrigger
from bulletin.config import load_settings
from bulletin.schedule import serve
logging.basicConfig(level=logging.INFO)
first = datetime.now(timezone.utc) + timedelta(seconds=1)
serve(load_settings(sys.argv[1], env={}), trigger=IntervalTrigger(days=1, start_date=first))
"""


def scheduler(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """The scheduler, logging to ``log`` (a file: its crawl child, which may outlive it, shares it)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(config)],
            cwd=REPO,
            env={**os.environ, "BULLETIN_CONFIG": ""},
            stderr=out,
        )


def runs(db: Path) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    with Store.open(db) as store:
        return list(reversed(store.pipeline_runs()))


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def test_a_run_killed_with_its_scheduler_is_closed_its_crawl_stopped_and_run_again_once(
    tmp_path: Path,
) -> None:
    with hostile_server() as server:
        server.route("/feed.xml", hang_first(server, static(EMPTY_RSS, "application/rss+xml")))
        config = hostile_config(
            tmp_path, f'[sources.hostile]\nkind = "generic"\nfeeds = ["{server.base}/feed.xml"]\n'
        )
        db = tmp_path / "bulletin.db"
        log = tmp_path / "scheduler.log"
        first = scheduler(config, log)
        try:
            # The run has started its crawl child, and the child is stuck on the feed.
            assert wait_for(
                lambda: server.hits["/feed.xml"] == 1 and any(r["crawl_pid"] for r in runs(db)), 90
            )
        finally:
            first.kill()  # SIGKILL: no handler runs, the crawl child is left behind
            first.wait(timeout=30)
        [killed] = runs(db)
        assert killed["status"] == "running"
        orphan = Owner(str(killed["host"]), int(killed["crawl_pid"]), str(killed["crawl_pid_token"]))
        assert alive(orphan)  # the old code left it running beside the next run

        second = scheduler(config, log)
        try:
            assert wait_for(lambda: len(runs(db)) == 2 and runs(db)[1]["status"] != "running", 120)
        finally:
            stop(second)
        assert not alive(orphan)
        first_run, again = runs(db)
        assert first_run["status"] == "abandoned"
        assert "ended without finishing" in "; ".join(first_run["problems"])
        assert again["period"] == first_run["period"]
        assert again["trigger"] == "schedule"
        assert str(again["status"]).startswith("finished")
        assert "running it again" in log.read_text(encoding="utf-8")
        with Store.open(db) as store:
            assert [r["status"] for r in store.runs()]
            assert all(r["status"] != "running" for r in store.runs())

        third = scheduler(config, log)  # once: a completed period is not run a third time
        started = log.read_text(encoding="utf-8").count("scheduler started")
        try:
            assert wait_for(lambda: log.read_text(encoding="utf-8").count("scheduler started") > started, 60)
        finally:
            stop(third)
        assert len(runs(db)) == 2
        assert log.read_text(encoding="utf-8").count("running it again") == 1
