"""The project's scorer (nlp/evaluate.py): matching rules, known figures, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests_nlp_helpers import SEED

from nlp.evaluate import FIELDS, alias_map, load_records, main, norm_name, penalty_key, score
from tests.conftest import FIXTURES, REPO

SCORING = FIXTURES / "scoring"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Mr. Korbein Schultz", "korbein schultz"),
        ("Dr Chen", "chen"),
        ("Li\u2019s", "li"),
        ("Hsieh Ming-che", "hsieh ming che"),
        ('Zhang "Tiger" Wei', "zhang wei"),
        ("Wang (pseudonym)", "wang"),
        ("  Feng. ", "feng"),
        ("Mrsa Smith", "mrsa smith"),  # an honorific is a whole word
    ],
)
def test_norm_name(raw: str, normalised: str) -> None:
    assert norm_name(raw) == normalised


def test_alias_map_takes_exact_names_first_and_each_gold_name_once() -> None:
    assert alias_map(["wang lei", "wang"], ["wang", "wang lei"]) == {"wang": "wang", "wang lei": "wang lei"}
    assert alias_map(["korbein schultz"], ["schultz", "korbein"]) == {"schultz": "korbein schultz"}
    assert alias_map(["feng"], ["jiang"]) == {}


@pytest.mark.parametrize(
    ("penalty", "key"),
    [
        (
            {"person": "Mr. Zhang", "kind": "imprisonment", "months": 119.6},
            ("zhang wei", "imprisonment", 120),
        ),
        (
            {"person": "Li", "kind": "imprisonment", "for_life": True, "months": 999},
            ("li", "imprisonment", "life"),
        ),
        (
            {"person": "Li", "kind": "death_with_reprieve", "reprieve_months": 24},
            ("li", "death_with_reprieve", 24),
        ),
        ({"person": "Li", "kind": "fine", "amount": 50000.4, "currency": "CNY"}, ("li", "fine", 50000)),
        ({"person": "Li", "kind": "asset_confiscation"}, ("li", "asset_confiscation", None)),
        ({"kind": "probation", "months": 12}, ("", "probation", 12)),
    ],
)
def test_penalty_key(penalty: dict[str, object], key: tuple[object, ...]) -> None:
    assert penalty_key(penalty, {"zhang": "zhang wei"}) == key


def test_known_figures_on_the_hand_made_files() -> None:
    # Worked out by hand in tests/fixtures/scoring/README.md.
    result, misses = score(load_records(SCORING / "gold.jsonl"), load_records(SCORING / "pred.jsonl"))
    counts = {field: (result[field]["tp"], result[field]["fp"], result[field]["fn"]) for field in FIELDS}
    assert counts == {
        "subjects": (4, 0, 1),
        "tactics": (1, 1, 1),
        "penalties": (4, 2, 1),
        "penalties_unattributed": (5, 1, 0),
    }
    assert result["subjects"]["f1"] == pytest.approx(8 / 9)
    assert result["tactics"]["f1"] == pytest.approx(0.5)
    assert result["penalties"]["precision"] == pytest.approx(4 / 6)
    assert result["penalties"]["f1"] == pytest.approx(8 / 11)
    assert result["penalties_unattributed"]["f1"] == pytest.approx(10 / 11)
    assert result["relevance_accuracy"] == pytest.approx(2 / 3)
    assert (result["articles"], result["predicted"]) == (4, 3)
    assert [tuple(m) for m in misses if m.article == "a3"] == [
        ("a3", "subjects", "missed", "chen hao"),
        ("a3", "penalties", "missed", "chen hao imprisonment 36"),
        ("a3", "penalties", "spurious", "zhou imprisonment 36"),
    ]


def test_gold_against_itself_scores_one_everywhere() -> None:
    gold = load_records(SCORING / "gold.jsonl")
    result, misses = score(gold, gold)
    assert misses == []
    assert all(result[field]["f1"] == 1.0 for field in ("subjects", "tactics", "penalties"))
    assert result["relevance_accuracy"] == 1.0


def test_an_empty_gold_set_gives_figures_not_a_crash() -> None:
    result, _ = score({}, {})
    assert result["subjects"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0, "fn": 0}
    assert result["relevance_accuracy"] is None


def test_cli_scores_two_files_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SCORING / "gold.jsonl"), str(SCORING / "pred.jsonl"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["penalties"]["tp"] == 4
    assert list(result) == [
        "subjects",
        "tactics",
        "penalties",
        "penalties_unattributed",
        "relevance_accuracy",
        "articles",
        "predicted",
    ]


def test_cli_text_report_lists_misses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SCORING / "gold.jsonl"), str(SCORING / "pred.jsonl"), "--misses"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "a1  tactics  missed  online_approach" in out
    assert "a1  penalties  spurious  wang probation 12" in out
    assert out[-5] == "articles 4  predicted 3  relevance accuracy 0.667"
    assert out[-2].split()[:7] == ["penalties", "P", "0.667", "R", "0.800", "F1", "0.727"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('{"id": "a1", "relevant": true}\nnot json\n', "pred.jsonl:2: not JSON"),
        ('{"relevant": true}\n', 'pred.jsonl:1: not a record with an "id"'),
        (
            '{"id": "a1", "penalties": [{"kind": "fine", "amount": "lots"}]}\n',
            "article a1: penalty amount is",
        ),
        ('{"id": "a1", "text": "An article."}\n', "holds article text, not extraction records: add --run"),
    ],
)
def test_cli_bad_prediction_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: str, message: str
) -> None:
    pred = tmp_path / "pred.jsonl"
    pred.write_text(lines, encoding="utf-8")
    assert main([str(SCORING / "gold.jsonl"), str(pred)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_cli_refuses_a_folder_without_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SEED / "seed.gold.jsonl"), str(SEED)]) == 1
    assert "is a folder: to extract its input.jsonl first, add --run" in capsys.readouterr().err


def test_cli_out_needs_run(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(SCORING / "gold.jsonl"), str(SCORING / "pred.jsonl"), "--out", str(tmp_path / "p.jsonl")])
    assert exit_.value.code == 2


def test_run_extracts_the_seed_and_scores_it_perfectly(tmp_path: Path) -> None:
    # The README's command, in a child process as a user runs it.
    out = tmp_path / "pred.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp.evaluate",
            str(SEED / "seed.gold.jsonl"),
            str(SEED / "seed.input.jsonl"),
            "--run",
            "--out",
            str(out),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert (result["articles"], result["predicted"], result["relevance_accuracy"]) == (1, 1, 1.0)
    for field in ("subjects", "tactics", "penalties", "penalties_unattributed"):
        assert result[field]["f1"] == 1.0, field
    (record,) = load_records(out).values()
    assert record["subjects"] == ["Feng", "Jiang"]
