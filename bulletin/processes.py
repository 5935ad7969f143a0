"""Which process owns a run: this one's identity, whether a recorded one still lives, stopping one.

A run row records its process as (host, pid, token). The token is what tells a live
process from a later one that reused its pid: on Linux the boot id and the process's start
time (``/proc/<pid>/stat`` field 22), elsewhere empty (pid only). A process on another host
cannot be checked from here, so its runs are left alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Owner:
    """A process as recorded beside a run."""

    host: str
    pid: int
    token: str


def hostname() -> str:
    return socket.gethostname()


def process_token(pid: int) -> str | None:
    """The pid-reuse guard of a running process ("" where the platform has none); None: no such process."""
    stat = _PROC / str(pid) / "stat"
    if _PROC.is_dir():
        try:
            text = stat.read_text(encoding="ascii", errors="replace")
            boot = (_PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        except OSError:
            return None
        # Field 2 (the command) is in parentheses and may hold spaces: split after it.
        fields = text.rpartition(")")[2].split()
        if len(fields) < 20 or fields[0] == "Z":  # a zombie has exited: only its parent must reap it
            return None
        return f"{boot}:{fields[19]}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""
    return ""


def this_process() -> Owner:
    return owner_of(os.getpid())


def owner_of(pid: int) -> Owner:
    return Owner(hostname(), pid, process_token(pid) or "")


def alive(owner: Owner) -> bool | None:
    """Whether the recorded process still runs: None when it is on another host (unknown)."""
    if owner.host != hostname():
        return None
    token = process_token(owner.pid)
    return token is not None and (not owner.token or not token or token == owner.token)


def stop(owner: Owner, grace: float = 10.0) -> bool:
    """SIGTERM a live process of this host, SIGKILL after ``grace`` seconds; True if it was running."""
    if not alive(owner):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(owner.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(owner):
            return True
        time.sleep(0.1)
    logger.warning("process %d did not stop on SIGTERM within %.0f s: killing it", owner.pid, grace)
    with contextlib.suppress(ProcessLookupError):
        os.kill(owner.pid, signal.SIGKILL)
    return True
