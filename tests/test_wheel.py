"""The built wheel, installed alone in a fresh venv outside the checkout, runs `bulletin demo`.

This is how a user installs the tool, and it catches what a checkout hides: a dependency only
the dev venv has (issue 7: ``ImportError: lxml.html.clean``), a template or sample site left
out of the wheel, code that reads files relative to the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

import pytest

from bulletin.store import Store
from tests.conftest import REPO
from tests.review.conftest import free_port, wait_for


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{' '.join(args)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
@pytest.mark.ci
def test_wheel_installed_in_a_fresh_venv_runs_the_demo(tmp_path: Path) -> None:
    # Nothing of the checkout may leak in: no PYTHONPATH, no venv of ours, a folder of its own.
    # (pip keeps its cache and index settings, so the install takes a minute, not ten.)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("BULLETIN_")
    }
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(REPO)],
        tmp_path,
        env,
        timeout=300,
    )
    (wheel,) = dist.glob("bulletin_watch-*.whl")

    # The venv module's own pip, as a user's fresh venv has it: an older pip than ours is the
    # case where undeclared dependencies went missing.
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path, env, timeout=900)
    _run([str(python), "-m", "pip", "check"], tmp_path, env, timeout=120)

    where = tmp_path / "run"
    where.mkdir()
    located = _run([str(python), "-c", "import bulletin; print(bulletin.__file__)"], where, env, timeout=60)
    assert Path(located.stdout.strip()).is_relative_to(tmp_path / "venv")

    demo = _run(
        [str(tmp_path / "venv" / "bin" / "bulletin"), "demo", "--out", "out"], where, env, timeout=600
    )
    assert "demo archive:" in demo.stdout
    with Store.open(where / "out" / "bulletin.db") as store:
        counts = {
            row["source"]: row["articles"]
            for row in store.source_overview(["globaltimes", "chinadaily", "doj", "sample-generic"])
        }
    assert all(n > 0 for n in counts.values()), counts
    assert list((where / "out" / "digest").glob("*.html")), "the demo rendered no HTML digest"

    # The review page works from the wheel too: its templates and script are package data.
    port = free_port()
    bulletin = str(tmp_path / "venv" / "bin" / "bulletin")
    db = str(where / "out" / "bulletin.db")
    proc = subprocess.Popen(
        [bulletin, "--db", db, "review", "--port", str(port)], cwd=where, env=env, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, proc)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "stories reviewed" in response.read().decode()
        with urllib.request.urlopen(url + "static/review/review.js", timeout=10) as response:
            assert b"keydown" in response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
