"""Corrections reach the exports: jsonl/csv effective records, --reviewed-only, spaCy DocBin, nlp.evaluate."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import spacy
from click.testing import CliRunner
from flask.testing import FlaskClient
from spacy.tokens import DocBin

from bulletin.cli import cli
from bulletin.corrections import apply, pending
from bulletin.store import Store
from nlp import evaluate
from tests.review.archive import FENG
from tests.review.conftest import Page

ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def review_feng(client: FlaskClient, db: Path, article_id: int) -> None:
    """Accept everything about Feng, after making his prison term seven years."""
    page = Page(client, article_id)
    prison = next(k for k in page.item_keys() if k.startswith("penalty:feng:imprisonment"))
    page.post(
        "edit", key=prison, person="Feng", penalty_kind="imprisonment", months="84", amount="", currency=""
    )
    while True:
        with Store.open(db) as store:
            stored = store.stored_extraction(article_id)
            assert stored is not None
            undecided = pending(apply(stored.record, store.corrections(article_id)))
        if not undecided:
            break
        assert (
            Page(client, article_id).post("decide", key=undecided[0].key, action="accept").status_code == 302
        )


def test_jsonl_and_csv_carry_the_corrections(client, ids, db):
    review_feng(client, db, ids["feng"])
    code, out, err = run(db, "export", "--format", "jsonl")
    assert code == 0, err
    records = {r["id"]: r for r in map(json.loads, out.splitlines())}
    feng = records[str(ids["feng"])]
    assert feng["penalties"][0]["months"] == 84
    assert feng["review_status"] == "reviewed"
    assert records[str(ids["cole"])]["review_status"] is None
    code, out, err = run(db, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["months"] for r in rows if r["person"] == "Feng" and r["kind"] == "imprisonment"] == ["84"]


def test_reviewed_only_exports_what_analysts_confirmed(client, ids, db):
    review_feng(client, db, ids["feng"])
    Page(client, ids["cole"]).post("decide", key="relevance", action="accept")  # started, not finished
    code, out, err = run(db, "export", "--format", "jsonl", "--reviewed-only")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [str(ids["feng"])]
    assert "exported 1 articles" in err


def test_spacy_export_is_a_docbin_of_the_reviewed_articles(client, ids, db, tmp_path):
    review_feng(client, db, ids["feng"])
    out = tmp_path / "reviewed.spacy"
    code, _, err = run(db, "export", "--format", "spacy", "--reviewed-only", "--out", str(out))
    assert code == 0, err
    assert "exported 1 docs" in err
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert len(docs) == 1
    doc = docs[0]
    assert doc.text == FENG
    assert {(e.text, e.label_) for e in doc.ents} == {
        ("Feng", "PERSON"),
        ("Ministry of State Security", "ORG"),
    }
    assert [(s.text, s.label_) for s in doc.spans["tactics"]] == [
        ("offered him a high consulting fee", "financial_inducement")
    ]
    assert [(s.text, s.label_) for s in doc.spans["penalties"]] == [
        ("sentenced to six years in prison", "imprisonment")
    ]
    assert [s.text for s in doc.spans["subjects"]] == ["Feng", "Feng"]
    assert doc.cats["CASE"] == 1.0
    assert doc.cats["financial_inducement"] == 1.0
    assert doc.cats["online_approach"] == 0.0
    assert doc.user_data["record"]["penalties"][0]["months"] == 84


def test_spacy_export_needs_a_file(db, ids):
    code, _, err = run(db, "export", "--format", "spacy")
    assert code == 2
    assert "--out" in err


def test_reviewed_export_is_a_test_set_for_nlp_evaluate(client, ids, db, tmp_path):
    """The analysts' records score the machine's: the edited prison term is a miss."""
    review_feng(client, db, ids["feng"])
    gold = tmp_path / "reviewed.jsonl"
    code, _, err = run(db, "export", "--format", "jsonl", "--reviewed-only", "--out", str(gold))
    assert code == 0, err
    machine = tmp_path / "machine.jsonl"  # what the rules said, before the review
    with Store.open(db) as store:
        stored = store.stored_extraction(ids["feng"])
        assert stored is not None
        machine.write_text(json.dumps(stored.record) + "\n", encoding="utf-8")
    result, misses = evaluate.score(evaluate.load_records(gold), evaluate.load_records(machine))
    assert result["subjects"]["f1"] == 1.0
    assert result["penalties"]["f1"] < 1.0
    assert any("84" in m.item for m in misses)
    assert evaluate.main([str(gold), str(machine)]) == 0


@pytest.mark.slow
def test_nlp_evaluate_runs_the_pipeline_on_the_reviewed_export(client, ids, db, tmp_path, capsys):
    review_feng(client, db, ids["feng"])
    gold = tmp_path / "reviewed.jsonl"
    run(db, "export", "--format", "jsonl", "--reviewed-only", "--out", str(gold))
    assert evaluate.main([str(gold), str(gold), "--run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 1
    assert report["predicted"] == 1
    assert report["subjects"]["f1"] == 1.0  # the shipped pipeline finds Feng in the reviewed text
