"""Exclusive locks per archive and job, so two processes never do one job twice.

Beside a SQLite archive they are files (``<db>.<job>.lock``); on a PostgreSQL archive they are
session advisory locks in the database itself (``bulletin.database.advisory_lock``), so two
machines sharing it are kept apart too.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from bulletin.database import advisory_lock, is_url
from bulletin.errors import BulletinError, DiskFullError, ReadOnlyError


class Busy(BulletinError):
    """Another process holds the lock of this job on this archive."""


@contextmanager
def exclusive(db: str | Path, job: str, what: str, wait: float = 0.0) -> Iterator[None]:
    """Hold ``<db>.<job>.lock`` while the block runs, waiting up to ``wait`` seconds for it.

    A PostgreSQL ``db`` (a URL) takes the advisory lock of ``job`` in that database instead.

    filelock takes an OS lock that the kernel drops when the process dies, so a killed
    holder never leaves a stale lock. ``what`` names the job in the refusal ("another
    `bulletin extract` is already ... (pid N)").
    """
    if is_url(db):
        with advisory_lock(str(db), job, what, wait):
            yield
        return
    path = Path(f"{db}.{job}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=wait, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = path.read_text(encoding="utf-8").strip() or "unknown pid"
        except OSError:
            holder = "unknown pid"
        raise Busy(f"another {what} is already running on {db} ({holder}); wait for it to finish") from None
    except OSError as exc:
        # The lock file cannot be made beside the archive: the job could not write either.
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"{db}: disk full: cannot create {path} for {what}") from None
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise ReadOnlyError(
                f"{db}: the archive is read-only ({path}: {exc.strerror}); {what} writes to it: "
                "run it on a writable copy, or remount the archive read-write"
            ) from None
        raise
    try:
        with contextlib.suppress(OSError):
            path.write_text(f"pid {os.getpid()}", encoding="utf-8")
        yield
    finally:
        lock.release()
