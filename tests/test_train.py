"""`bulletin train`: the archive's reviewed articles retrain the role and attribution classifiers,
which are installed only when they score better on the held-back reviewed articles, and the
next `extract --redo` uses them.

The archive holds short articles of tests/fixtures/whose, extracted by the real pipeline and
then reviewed through the store as an analyst would on the review page (accept what the gold
record has, reject the rest, add what is missing). The classifiers in use start out broken on
purpose: a role classifier trained on the shipped examples with their labels flipped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import spacy
from click.testing import CliRunner
from spacy.tokens import DocBin

from bulletin.cli import cli
from bulletin.corrections import Correction, apply, is_reviewed, pending
from bulletin.records import Article
from bulletin.store import Store
from nlp.evaluate import alias_map, norm_name, penalty_key, score
from nlp.training import install, shipped_examples, train_component, write_bins

pytestmark = pytest.mark.slow

WHOSE = Path(__file__).resolve().parent / "fixtures" / "whose"
ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def review_to(store: Store, article_id: int, gold: dict[str, Any]) -> None:
    """Decide every item of the machine's record so that the reviewed record is the gold one."""
    stored = store.stored_extraction(article_id)
    assert stored is not None
    machine = stored.record
    version = store.review_state(article_id).version

    def save(correction: Correction) -> None:
        nonlocal version
        version = store.add_correction(article_id, version, correction, stored.pipeline_version)

    if bool(machine.get("relevant")) != bool(gold["relevant"]):
        save(Correction("edit", "relevance", "relevance", value={"relevant": gold["relevant"]}))
    else:
        save(Correction("accept", "relevance", "relevance"))
    effective = apply(machine, store.corrections(article_id))
    if gold["relevant"]:
        golds = [norm_name(n) for n in gold["subjects"]]
        names = alias_map(golds, [norm_name(n) for n in effective.record.get("subjects", [])])
        wanted = {penalty_key(p, {}) for p in gold["penalties"]}
        for item in pending(effective):
            if item.kind == "subject":
                keep = norm_name(item.value["name"]) in names
            elif item.kind == "penalty":
                keep = penalty_key(item.value, names) in wanted
            elif item.kind == "tactic":
                keep = item.value.get("label") in gold["tactics"]
            else:
                keep = True
            save(Correction("accept" if keep else "reject", item.kind, item.key, before=item.value))
        effective = apply(machine, store.corrections(article_id))
        found_subjects = {names.get(norm_name(n)) for n in effective.record.get("subjects", [])}
        for name in gold["subjects"]:
            if norm_name(name) not in found_subjects:
                save(Correction("add", "subject", value={"name": name}))
        found = {
            penalty_key(p, alias_map(golds, [norm_name(p.get("person") or "")]))
            for p in effective.record["penalties"]
        }
        for penalty in gold["penalties"]:
            if penalty_key(penalty, {}) not in found:
                save(Correction("add", "penalty", value=dict(penalty)))
    effective = apply(machine, store.corrections(article_id))
    assert is_reviewed(effective), pending(effective)
    store.set_review_status(article_id, "reviewed", 0)


def broken_roles(models: Path, work: Path) -> None:
    """A role classifier that has learnt the opposite of the shipped examples."""
    flipped = {}
    vocab = spacy.blank("en").vocab
    for part, docbin in shipped_examples("roles").items():
        docs = list(docbin.get_docs(vocab))
        for doc in docs:
            doc.cats = {"DEFENDANT": doc.cats["OTHER"], "OTHER": doc.cats["DEFENDANT"]}
        flipped[part] = DocBin(docs=docs)
    write_bins(flipped, work / "corpus", "roles")
    install(train_component("roles", work / "corpus", work / "out"), models, "roles")


def subjects_f1(db: Path, gold: dict[str, dict[str, Any]]) -> float:
    code, out, err = run(db, "export", "--format", "jsonl")
    assert code == 0, err
    by_url = {r["url"]: r for r in map(json.loads, out.splitlines())}
    predictions = {gid: by_url[f"https://example.test/{gid}"] for gid in gold}
    result, _ = score(gold, predictions)
    return float(result["subjects"]["f1"])


# Trains the three classifiers twice (over two minutes on two cores): with the heaviest, in `make test-ci`.
@pytest.mark.ci
def test_train_installs_only_a_better_model_and_extract_uses_it(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    models = tmp_path / "models"  # nlp.models' default: models/ beside the archive
    broken_roles(models, tmp_path / "broken")
    gold = {g["id"]: g for g in lines(WHOSE / "gold.jsonl")}
    texts = lines(WHOSE / "input.jsonl")[:20]
    with Store.open(str(db)) as store:
        for n, row in enumerate(texts):
            store.save_article(
                Article(
                    source="doj",
                    url=f"https://example.test/{row['id']}",
                    title=row["id"],
                    text=row["text"],
                    fetched_at=BASE + timedelta(hours=n),
                    published_at=BASE + timedelta(hours=n),
                ),
                None,
                None,
            )
    code, _, err = run(db, "extract")
    assert code == 0, err
    chosen = {row["id"]: gold[row["id"]] for row in texts}
    broken = subjects_f1(db, chosen)
    with Store.open(str(db)) as store:
        for row in texts:
            article = store.find_article(f"https://example.test/{row['id']}")
            assert article is not None
            review_to(store, int(article.id or 0), gold[row["id"]])
        assert len(list(store.export_rows(reviewed_only=True))) == len(texts)

    code, out, err = run(db, "train", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert (first["reviewed"], first["held_back"], first["trained_on"]) == (20, 5, 15)
    assert first["installed"] is True, first
    assert first["after"]["subjects"]["f1"] > first["before"]["subjects"]["f1"]
    assert "installed the new classifiers in" in err
    assert (models / "roles" / "config.cfg").exists()
    assert (models / "attribution" / "config.cfg").exists()

    # The same reviews again give the same classifiers: no better, so nothing changes.
    stamp = (models / "roles" / "textcat" / "model").stat().st_mtime_ns
    code, out, err = run(db, "train", "--json")
    assert code == 0, err
    second = json.loads(out)
    assert second["installed"] is False, [
        (r["subjects"]["f1"], r["penalties"]["f1"])
        for r in (first["before"], first["after"], second["before"], second["after"])
    ]
    assert "kept the classifiers in use" in err
    assert (models / "roles" / "textcat" / "model").stat().st_mtime_ns == stamp

    code, _, err = run(db, "extract", "--redo")
    assert code == 0, err
    assert subjects_f1(db, chosen) > broken


def test_train_with_too_few_reviewed_articles_says_so(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    Store.open(str(db)).close()
    code, _, err = run(db, "train")
    assert code == 1
    assert "0 reviewed articles: need at least 2 held back and 2 to train on" in err
    assert not (tmp_path / "models").exists()
