"""`bulletin extract` under hostile input and beside a twin: one line per bad record, the rest
go through; a second extract at once is refused instead of redoing every article."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bulletin.inputs import read_input
from bulletin.records import Article
from bulletin.store import Store
from tests.conftest import FIXTURES, REPO
from tests.faults.conftest import bulletin, wait_for

SEED = (FIXTURES / "articles" / "seed-000.txt").read_text(encoding="utf-8")


def test_utf8_with_one_stray_byte_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "case.txt"
    text = "Fined ¥2 million, said the court in Zhōngshān. " * 3
    path.write_bytes(text.encode("utf-8") + b"\xff" + b" The end.")
    [item] = read_input(str(path))
    assert item["text"].startswith(text)  # not "Fined ¬•2 million" (mac_iceland)
    assert item["text"].endswith("\ufffd The end.")


def test_a_json_array_file_is_read_as_records_not_as_one_text(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{"id": "a", "text": "one"}, 5, {"id": "b", "text": "two"}]), encoding="utf-8")
    assert [i["id"] for i in read_input(str(path))] == ["a", "b"]


def test_bad_records_are_one_line_each_and_the_rest_go_through(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        '["an", "array", "first"]',
        json.dumps({"id": "first", "text": SEED}),
        '{"id": "surrogate", "text": "lone \\ud800 surrogate"}',
        '{"id": "deep", "text": "x", "more": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "title", "text": "x", "title": 5}',
        json.dumps({"id": "last", "text": SEED}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = bulletin("extract", "--input", str(path))
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["first", "last"]
    errors = [line for line in proc.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    for number, problem in [
        (1, "not an object"),
        (3, "lone surrogate"),
        (4, "nested too deeply"),
        (5, "title"),
    ]:
        assert any(f"in.jsonl:{number}: skipped" in e and problem in e for e in errors), (number, errors)
    # The last line counts them: "extracted 2" alone read as if nothing had been left out.
    assert proc.stderr.strip().splitlines()[-1].startswith("extracted 2 articles (")
    assert proc.stderr.strip().endswith("; skipped 4 input records (see above)")


def test_a_second_extract_at_once_is_refused_and_the_first_does_each_article_once(tmp_path: Path) -> None:
    db = tmp_path / "bulletin.db"
    with Store.open(db) as store:
        for n in range(30):
            store.save_article(
                Article(
                    source="x",
                    url=f"https://x.example/{n}",
                    title=f"Case {n}",
                    text=f"Article {n}. {SEED}",
                    fetched_at=datetime.now(UTC),
                ),
                None,
                None,
            )
    env = {**os.environ, "BULLETIN_CONFIG": "", "BULLETIN_DB": str(db)}
    first = subprocess.Popen(
        [sys.executable, "-m", "bulletin", "extract"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = Path(f"{db}.extract.lock")
    try:
        assert wait_for(lambda: lock.exists() and "pid" in lock.read_text(encoding="utf-8"), 60)
        second = subprocess.run(
            [sys.executable, "-m", "bulletin", "extract"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 1
    [line] = second.stderr.strip().splitlines()
    assert line.startswith("bulletin: error: another `bulletin extract` is already running on")
    assert "extracted 30 stored articles" in out
    with Store.open(db) as store:
        assert store.conn.execute("SELECT count(*) FROM extractions").fetchone()[0] == 30


def test_an_extract_killed_mid_way_leaves_no_stale_lock_and_the_rerun_finishes(tmp_path: Path) -> None:
    db = tmp_path / "bulletin.db"
    with Store.open(db) as store:
        for n in range(40):
            store.save_article(
                Article(
                    source="x",
                    url=f"https://x.example/{n}",
                    title=f"Case {n}",
                    text=f"Article {n}. {SEED}",
                    fetched_at=datetime.now(UTC),
                ),
                None,
                None,
            )

    def extracted() -> int:
        with Store.open(db) as store:
            return int(store.conn.execute("SELECT count(*) FROM extractions").fetchone()[0])

    env = {**os.environ, "BULLETIN_CONFIG": "", "BULLETIN_DB": str(db), "BULLETIN_NLP_BATCH_SIZE": "1"}
    first = subprocess.Popen(
        [sys.executable, "-m", "bulletin", "extract"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: extracted() > 0, 120)
    finally:
        first.kill()  # SIGKILL in the middle: the kernel drops its lock
        first.wait(30)
    done = extracted()
    assert 0 < done < 40
    rerun = bulletin("--db", str(db), "extract")
    assert rerun.returncode == 0, rerun.stderr
    assert f"extracted {40 - done} stored articles" in rerun.stdout
    assert extracted() == 40
