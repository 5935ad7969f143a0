"""The real-world round (issue 8): each class of failure seen on real bulletins, on articles of our own.

tests/fixtures/shapes holds 40 articles written blind to the rules, each tagged with the classes
it exercises (relevance, defendants, who, penalties, tactics); the fourth round of rules was
developed against it and against tests/fixtures/corpus-dev, so their floors guard against
regressions. The short tests below each pin one behaviour with a sentence written for it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from spacy.language import Language
from tests_nlp_helpers import CORPUS_DEV, SHAPES, one_record, penalty_keys, read_jsonl

from bulletin.cli import cli
from bulletin.records import Article
from bulletin.similarity import signature
from bulletin.store import Store
from nlp import extract
from nlp.evaluate import score

AEROSPACE = (
    "A former aerospace engineer recruited online by a fake headhunter copied classified design "
    "files; the court sentenced him to seven years."
)


def _one(nlp: Language, text: str) -> dict[str, Any]:
    return one_record(nlp, text)


_penalties = penalty_keys


@pytest.fixture(scope="module")
def shapes_predictions(real_nlp: Language) -> dict[str, dict[str, Any]]:
    return {r.id or "": r.to_json() for r in extract(real_nlp, read_jsonl(SHAPES / "input.jsonl"))}


# Floors a few points under the figures of 2026-12-01 (README: extraction quality).
@pytest.mark.parametrize(
    ("cls", "field", "floor"),
    [
        ("relevance", "relevance_accuracy", 0.80),
        ("defendants", "subjects", 0.86),
        ("defendants", "penalties", 0.78),
        ("who", "subjects", 0.83),
        ("penalties", "penalties", 0.82),
        ("penalties", "penalties_unattributed", 0.88),
        ("tactics", "tactics", 0.85),
    ],
)
def test_shapes_by_class(
    shapes_predictions: dict[str, dict[str, Any]], cls: str, field: str, floor: float
) -> None:
    gold = {r["id"]: r for r in read_jsonl(SHAPES / "gold.jsonl") if cls in r["classes"]}
    assert len(gold) >= 6, f"class {cls} has only {len(gold)} articles"
    result, misses = score(gold, {k: shapes_predictions[k] for k in gold})
    value = result[field] if field == "relevance_accuracy" else result[field]["f1"]
    assert value >= floor, (cls, field, value, misses[:20])


def test_corpus_dev_part(real_nlp: Language) -> None:
    # 124 articles since 2026-12-07 (parts g-i added, older texts re-worded): the role and
    # attribution classifiers are trained on them, so these are floors, not estimates
    # (training/crossval.py gives the held-out figures). Measured 0.952, 0.916, 0.747, 0.742.
    gold = {r["id"]: r for r in read_jsonl(CORPUS_DEV / "gold.jsonl")}
    pred = {r.id or "": r.to_json() for r in extract(real_nlp, read_jsonl(CORPUS_DEV / "input.jsonl"))}
    result, _ = score(gold, pred)
    assert result["relevance_accuracy"] >= 0.93
    assert result["subjects"]["f1"] >= 0.89
    assert result["tactics"]["f1"] >= 0.72
    assert result["penalties"]["f1"] >= 0.71


# -- relevance ---------------------------------------------------------------------------


def test_the_issues_short_aerospace_article_is_a_case(real_nlp: Language) -> None:
    record = _one(real_nlp, AEROSPACE)
    assert record["relevant"] is True
    assert 0.5 <= record["relevance"] <= 1.0
    # Nobody is named: the defendant is who the text says he is (the corpus's convention).
    assert record["subjects"] == ["A former aerospace engineer"]
    assert ("A former aerospace engineer", "imprisonment", 84) in _penalties(record)
    assert {"online_approach", "insider_exploitation"} <= {t["label"] for t in record["tactics"]}


@pytest.mark.parametrize(
    "text",
    [
        "A district court in Hong Kong jailed activist Lam Ka-wing for five years on Friday for "
        "inciting secession under the national security law.",
        "The Intermediate People's Court sentenced Ma Youlin to 11 years in prison for subversion "
        "of state power after he colluded with overseas forces.",
        "Kyle Draper, a former Navy sailor, was sentenced to 12 years for trying to sell naval "
        "secrets to a man he believed was a Russian agent, in fact an undercover FBI employee.",
        "Ong Wei Jie, 44, pleaded guilty on Tuesday to acting as an unregistered agent of Beijing "
        "and was sentenced to 20 months in prison.",
    ],
)
def test_national_security_cases_in_any_wording(real_nlp: Language, text: str) -> None:
    record = _one(real_nlp, text)
    assert record["relevant"] is True, record.get("relevance")
    assert record["subjects"]


def test_a_rules_story_with_nobody_charged_stays_irrelevant(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The Ministry of State Security said on Monday that citizens who report espionage can "
        "receive rewards of up to 500,000 yuan under revised measures. Acts such as stealing "
        "state secrets will be punished according to law, the ministry said.",
    )
    assert record["relevant"] is False
    assert record["relevance"] < 0.5
    assert record["subjects"] == record["penalties"] == record["tactics"] == []


# -- several defendants in one passage ---------------------------------------------------------


def test_elided_terms_after_appositives(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The Taichung District Court convicted four retired officers of spying for China. "
        "Pan Kuo-wei, a retired navy commander, got eight years and two months, and Yeh Shu-fen, "
        "his former assistant, five years.",
    )
    got = _penalties(record)
    assert ("Pan Kuo-wei", "imprisonment", 98) in got
    assert ("Yeh Shu-fen", "imprisonment", 60) in got
    assert "Yeh Shu-fen" in record["subjects"]


def test_a_verb_of_its_own_is_not_an_ellipsis(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Ko Min-jun, a navy contractor, was sentenced to 18 months in prison, suspended for three "
        "years, for passing ship drawings to a Chinese firm, while his manager Seo Ji-woo was "
        "sentenced to one year in prison for espionage.",
    )
    got = _penalties(record)
    assert ("Seo Ji-woo", "imprisonment", 12) in got
    assert not any(p[0] == "Seo Ji-woo" and p[1] == "probation" for p in got)


# -- who is who ------------------------------------------------------------------------------


def test_a_sentence_opener_is_not_part_of_the_name(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Liu Zhenhai, a former meteorological technician, was sentenced to six years in prison "
        "for espionage. Once Liu had agreed to help, the handler asked him for readings.",
    )
    assert record["subjects"] == ["Liu Zhenhai"]


def test_a_pronoun_prefers_the_person_in_subject_position(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Marcus Webb, a former Army analyst, pleaded guilty to selling defense information to a "
        'Chinese intelligence officer who called himself "Leo Tan". Over a year Webb sold Tan '
        "dozens of documents. A federal judge sentenced him to 84 months in prison.",
    )
    assert ("Marcus Webb", "imprisonment", 84) in _penalties(record)
    assert "Leo Tan" not in record["subjects"]


# -- penalties ---------------------------------------------------------------------------------


def test_a_suspension_period_is_probation(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The Taipei District Court sentenced Chen Yi-ting to two years in prison, suspended for "
        "five years, for leaking classified documents to a Chinese intelligence officer.",
    )
    got = _penalties(record)
    assert ("Chen Yi-ting", "imprisonment", 24) in got
    assert ("Chen Yi-ting", "probation", 60) in got


# -- tactics -----------------------------------------------------------------------------------


def test_the_tactic_classifier_does_not_spray_labels_on_a_short_text(real_nlp: Language) -> None:
    """A bag-of-words model scores a short text near 0.5 for every label: none may pass."""
    record = _one(
        real_nlp,
        "Qiu Lan was sentenced to three years in prison for leaking military secrets to a "
        "foreign spy agency.",
    )
    assert {t["label"] for t in record["tactics"]} <= {"insider_exploitation"}


def test_classifiers_take_empty_and_blank_texts(real_nlp: Language) -> None:
    records = [r.to_json() for r in extract(real_nlp, [{"id": "a", "text": ""}, {"id": "b", "text": "  \n"}])]
    assert [r["relevant"] for r in records] == [False, False]


# -- end to end --------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_aerospace_article_reaches_the_digest(tmp_path: Path) -> None:
    """bulletin extract --input, then the stored article's extraction in a digest."""
    (item,) = [r for r in read_jsonl(SHAPES / "input.jsonl") if r["id"] == "shapes-aerospace-engineer"]
    source = tmp_path / "aerospace.txt"
    source.write_text(item["text"], encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["extract", "--input", str(source)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert record["relevant"] is True
    assert record["subjects"] == ["Liang"]
    assert _penalties(record) == {
        ("Liang", "imprisonment", 84),
        ("Liang", "political_rights_deprivation", 36),
        ("Liang", "asset_confiscation", 150000),
    }
    assert {t["label"] for t in record["tactics"]} == {
        "online_approach",
        "false_identity",
        "insider_exploitation",
    }

    db = tmp_path / "archive.db"
    with Store.open(db) as store:
        store.save_article(
            Article(
                source="globaltimes",
                url="https://www.globaltimes.cn/page/202503/1329001.shtml",
                title="Former aerospace engineer jailed for seven years",
                text=item["text"],
                fetched_at=datetime(2025, 3, 3, 14, 0, tzinfo=UTC),
                published_at=datetime(2025, 3, 3, 13, 41, tzinfo=UTC),
            ),
            None,
            signature(item["text"]),
        )
    result = runner.invoke(cli, ["--db", str(db), "extract"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "digest"
    result = runner.invoke(
        cli,
        [
            "--db",
            str(db),
            "digest",
            "--since",
            "2025-03-01",
            "--until",
            "2025-03-07",
            "--format",
            "md",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    (md,) = out.glob("*.md")
    text = md.read_text(encoding="utf-8")
    assert "Former aerospace engineer jailed for seven years" in text
    assert "Liang" in text


def test_terms_given_with_the_person_between(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A Taipei court convicted three retired officers of spying for China. The court gave "
        "retired colonel Hsu Ming-de (許明德) 16 months and retired major Wu Pei-lin (吳佩琳) 11 months. "
        "Businessman Tang Yu-hsuan was handed a two-year suspended sentence.",
    )
    got = _penalties(record)
    assert ("Hsu Ming-de", "imprisonment", 16) in got
    assert ("Wu Pei-lin", "imprisonment", 11) in got
    assert ("Tang Yu-hsuan", "imprisonment", 24) in got


def test_an_organisation_tagged_as_a_person_is_not_a_subject(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Zhou Jianping, formerly head of the Beijing-based Hengda Law Firm, was given seven years in "
        "prison for subversion of state power.",
    )
    assert record["subjects"] == ["Zhou Jianping"]
    assert ("Zhou Jianping", "imprisonment", 84) in _penalties(record)
