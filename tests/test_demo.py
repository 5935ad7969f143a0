"""The README's main-job command, end to end on the bundled sample sites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bulletin.store import Store
from tests.conftest import REPO


@pytest.mark.slow
def test_demo_crawls_every_sample_source_into_its_archive(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "bulletin", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Store.open(out / "bulletin.db") as store:
        counts = {
            row["source"]: row["articles"]
            for row in store.source_overview(["globaltimes", "chinadaily", "doj", "sample-generic"])
        }
    assert all(n > 0 for n in counts.values()), counts
    assert "demo archive:" in proc.stdout
    assert "health" in proc.stdout  # `bulletin sources` ran
