"""`bulletin cases` and `bulletin case`: list case files, show a timeline, correct the linking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cases import relink
from bulletin.cli import cli
from bulletin.store import Store
from tests import case_series

ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    db = tmp_path / "bulletin.db"
    with Store.open(db) as store:
        ids = case_series.build(store)
        relink(store)
    return db, ids


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--db", str(db)], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_cases_lists_each_case_with_its_latest_stage(archive: tuple[Path, dict[str, int]]) -> None:
    db, ids = archive
    code, out, _ = run(db, "cases", "--json")
    assert code == 0
    cases = {c["id"]: c for c in json.loads(out)}
    assert set(cases) == {
        ids[n] for n in ("leung-1", "xu-1", "zhao-1", "wang-drone", "wang-sailor", "wang-electronics")
    }
    leung = cases[ids["leung-1"]]
    assert (leung["stage"], leung["stage_date"], leung["reports"]) == ("sentencing", "2024-10-02", 4)
    assert cases[ids["xu-1"]]["stage"] == "appeal"
    assert cases[ids["wang-drone"]]["candidates"] == 1
    code, out, _ = run(db, "cases")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["case", "stage", "stage"]
    assert len(lines) == 7


def test_cases_filters_by_stage_and_day(archive: tuple[Path, dict[str, int]]) -> None:
    db, ids = archive
    code, out, _ = run(db, "cases", "--stage", "sentencing", "--since", "2024-06-01", "--json")
    assert code == 0
    assert [c["id"] for c in json.loads(out)] == [ids["leung-1"]]
    code, _, err = run(db, "cases", "--stage", "executed")
    assert code == 2
    assert "executed" in err


def test_case_prints_the_timeline_with_every_source_link(archive: tuple[Path, dict[str, int]]) -> None:
    db, ids = archive
    code, out, _ = run(db, "case", str(ids["leung-1"]))
    assert code == 0, out
    assert out.splitlines()[0].startswith(f"case {ids['leung-1']}: ")
    assert "latest stage: sentencing (2024-10-02)" in out
    timeline = out.split("timeline:")[1]
    for name in ("leung-1", "leung-2", "leung-3", "leung-4"):
        url = next(i["url"] for i in case_series.items() if i["id"] == name)
        assert url in timeline
    # One line per report, in time order, each with its stage.
    reports = [line for line in timeline.splitlines() if line.startswith("  20")]
    assert [line.split()[1] for line in reports] == ["charge", "charge", "conviction", "sentencing"]
    code, out, _ = run(db, "case", str(ids["leung-1"]), "--json")
    assert code == 0
    record = json.loads(out)
    assert [r["stage"] for r in record["timeline"]] == ["charge", "charge", "conviction", "sentencing"]
    assert record["timeline"][3]["links"][0]["source"] == "harbourpost"
    assert record["timeline"][3]["reasons"][0].startswith("name: Leung")  # linked on what matched
    # A later report's story id finds its case too.
    code, again, _ = run(db, "case", str(ids["leung-3"]), "--json")
    assert json.loads(again)["id"] == ids["leung-1"]


def test_case_of_nothing_is_one_line(archive: tuple[Path, dict[str, int]]) -> None:
    db, _ = archive
    code, _, err = run(db, "case", "9999")
    assert code == 1
    assert err.strip() == f"bulletin: error: no case 9999 in {db} (see `bulletin cases`)"


def test_merge_split_confirm_reject_from_the_command_line(archive: tuple[Path, dict[str, int]]) -> None:
    db, ids = archive
    drone, sailor, electronics = ids["wang-drone"], ids["wang-sailor"], ids["wang-electronics"]
    code, out, _ = run(db, "case", "merge", str(drone), str(sailor), "--note", "one source")
    assert (code, out.strip()) == (0, f"cases {drone} and {sailor} are now case {drone}")
    code, out, _ = run(db, "case", "split", str(drone), str(sailor))
    assert (code, out.strip()) == (0, f"stories {sailor} split from case {drone} into case {sailor}")
    code, out, _ = run(db, "case", "confirm", str(electronics), str(drone))
    assert (code, out.strip()) == (0, f"story {electronics} is in case {drone}")
    code, out, _ = run(db, "case", "relink")
    assert code == 0
    assert out.startswith("linked 13 stories into 5 cases")
    with Store.open(db) as store:
        assert store.story_case(electronics) == drone
        assert store.story_case(sailor) == sailor
    code, out, _ = run(db, "case", "reject", str(electronics), str(drone))
    assert (code, out.strip()) == (
        0,
        f"story {electronics} is not in case {drone}; it is in case {electronics}",
    )


def test_reading_commands_do_not_create_an_archive(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "none.db", "cases")
    assert code == 1
    assert "no archive there yet" in err
    assert not (tmp_path / "none.db").exists()


def test_show_prints_the_articles_stage_and_its_case(archive: tuple[Path, dict[str, int]]) -> None:
    db, ids = archive
    code, out, _ = run(db, "show", str(ids["xu-3"]))
    assert code == 0, out
    lines = out.splitlines()
    stage = next(line for line in lines if line.startswith("stage:"))
    assert stage.startswith("stage:      appeal 2025-01-06 (")
    case = next(line for line in lines if line.startswith("case:"))
    assert case.startswith(f"case:       #{ids['xu-1']}: Xu Haoran (aerospace engineer)")
    assert case.endswith("(3 reports)")
    code, out, _ = run(db, "show", str(ids["wang-sailor"]))
    assert f"case:       #{ids['wang-sailor']}: Jason Wang" in out
