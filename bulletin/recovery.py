"""Runs left 'running' by a process that died: close them and stop their orphaned crawl children."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bulletin.processes import alive, stop
from bulletin.store import Store

logger = logging.getLogger(__name__)

# How long an orphaned crawl child gets to close its spiders after SIGTERM.
ORPHAN_GRACE_SECONDS = 10.0


@dataclass
class Recovered:
    """What ``recover`` closed: pipeline runs and crawl runs, and the orphaned crawl pids it stopped."""

    pipeline_runs: list[int] = field(default_factory=list)
    crawl_runs: list[int] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)


def recover(store: Store) -> Recovered:
    """Mark abandoned every run whose process on this host is gone, stopping its crawl child first.

    A run whose process lives, or runs on another host (which cannot be checked from
    here), or recorded no process (made before this was recorded), is left as it is.
    """
    done = Recovered()
    if store.read_only:  # nothing can be marked; reading it as it is
        return done
    for run in store.running_pipeline_runs():
        owner = run["owner"]
        if owner is None or alive(owner) is not False:
            continue
        # The crawl child outlives a parent killed with SIGKILL and would run beside the
        # next run: stop it before anything runs again.
        crawl = run["crawl"]
        if crawl is not None and stop(crawl, ORPHAN_GRACE_SECONDS):
            done.stopped.append(crawl.pid)
            logger.warning("stopped crawl process %d, orphaned by pipeline run %d", crawl.pid, run["id"])
        problem = f"abandoned: its process ({owner.pid} on {owner.host}) ended without finishing it"
        if store.close_pipeline_run(run["id"], "abandoned", problem):
            done.pipeline_runs.append(run["id"])
            logger.warning("pipeline run %d (%s) %s", run["id"], run["period"], problem)
    for run_id, owner in store.running_runs():
        if owner is None or alive(owner) is not False:
            continue
        if store.close_run(run_id, "abandoned"):
            done.crawl_runs.append(run_id)
            logger.warning(
                "crawl run %d abandoned: its process (%d on %s) ended without finishing it",
                run_id,
                owner.pid,
                owner.host,
            )
    return done
