"""Who is the defendant and whose sentence is it (issue 18): the trained role and attribution
classifiers over person clusters, on articles of our own.

tests/fixtures/whose holds 46 short articles written blind to the extraction code for issue 18,
each tagged with the classes of who/whose failure it exercises (README there). Its floors sit a
few points under the figures of 2026-12-07; the short tests below each pin one behaviour with a
sentence written for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language
from tests_nlp_helpers import WHOSE, one_record, penalty_keys, read_jsonl

from nlp import extract
from nlp.components.common import CLUSTER_SCORES, CLUSTERS_KEY
from nlp.components.roles import LINK_RECORD, ROLE_RECORD, pair_words, role_words
from nlp.evaluate import score
from nlp.training import collect


def _one(nlp: Language, text: str) -> dict[str, Any]:
    return one_record(nlp, text, published="2025-06-13")


_penalties = penalty_keys


@pytest.fixture(scope="module")
def whose_predictions(real_nlp: Language) -> dict[str, dict[str, Any]]:
    return {r.id or "": r.to_json() for r in extract(real_nlp, read_jsonl(WHOSE / "input.jsonl"))}


# Measured 2026-12-07 (pipeline 2026.12.07-1): relatives 0.667 / 0.632, list 0.83 / 0.52,
# respectively 1.000 / 0.848, pronoun_first 1.000 / 1.000, short_form 0.875 / 0.941,
# non_defendants 0.91 / 0.78, role_then_name 0.80 / 0.83, penalty_kinds 0.89 / 0.82,
# english_surname 1.000 / 1.000, couple 1.000 / 1.000 (subjects / penalties F1).
@pytest.mark.parametrize(
    ("cls", "subjects", "penalties"),
    [
        ("relatives", 0.60, 0.55),
        ("couple", 0.95, 0.95),
        ("list", 0.70, 0.45),
        ("respectively", 0.95, 0.80),
        ("pronoun_first", 0.95, 0.95),
        ("short_form", 0.80, 0.90),
        ("non_defendants", 0.84, 0.74),
        ("role_then_name", 0.75, 0.78),
        ("penalty_kinds", 0.84, 0.75),
        ("english_surname", 0.95, 0.95),
    ],
)
def test_whose_by_class(
    whose_predictions: dict[str, dict[str, Any]], cls: str, subjects: float, penalties: float
) -> None:
    gold = {r["id"]: r for r in read_jsonl(WHOSE / "gold.jsonl") if cls in r["classes"]}
    assert len(gold) >= 4, f"class {cls} has only {len(gold)} articles"
    result, misses = score(gold, {k: whose_predictions[k] for k in gold})
    assert result["subjects"]["f1"] >= subjects, (cls, result["subjects"], misses[:20])
    assert result["penalties"]["f1"] >= penalties, (cls, result["penalties"], misses[:20])


def test_whose_negatives_are_no_cases(whose_predictions: dict[str, dict[str, Any]]) -> None:
    gold = [r for r in read_jsonl(WHOSE / "gold.jsonl") if "negatives" in r["classes"]]
    assert sum(not whose_predictions[r["id"]]["relevant"] for r in gold) >= 3


# -- the short shapes -------------------------------------------------------------------


def test_a_list_with_the_verb_given_once(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A Hong Kong court jailed four activists for subversion on Thursday. The court sentenced "
        "Leung Chi-wai to ten years and four months; Mok Ka-yan to eight years and two months; "
        "Tse Hoi-lam to six years; and Wan Siu-fung to five years and nine months.",
    )
    assert {
        ("Leung Chi-wai", "imprisonment", 124),
        ("Mok Ka-yan", "imprisonment", 98),
        ("Tse Hoi-lam", "imprisonment", 72),
        ("Wan Siu-fung", "imprisonment", 69),
    } <= _penalties(record)


def test_a_list_item_takes_the_first_kind_not_an_added_deprivation(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Zhao Lei, a former deputy chief engineer, was sentenced to 13 years in prison for espionage "
        "and deprived of political rights for five years; Qiao Min, a former laboratory technician, "
        "to nine years.",
    )
    got = _penalties(record)
    assert ("Qiao Min", "imprisonment", 108) in got
    assert not any(p[0] == "Qiao Min" and p[1] == "political_rights_deprivation" for p in got)


def test_a_relative_described_not_named_is_a_person_of_her_own(real_nlp: Language) -> None:
    doc = real_nlp(
        "Tan Wei, a former naval engineer, was sentenced to 11 years in prison for selling ship "
        "designs to a foreign spy agency. Tan's wife was sentenced to three years for helping him "
        "photograph the documents. His wife had typed the notes."
    )
    clusters = {(s.text, s.label_) for s in doc.spans[CLUSTERS_KEY]}
    assert ("wife", "Tan's wife") in clusters
    # "His wife" is Tan Wei's too: one cluster name for both descriptions.
    assert ("wife", "Tan Wei's wife") in clusters or ("wife", "Tan's wife") in clusters
    assert ("Tan Wei", "Tan Wei") in clusters


def test_a_pronoun_binds_to_the_name_in_its_own_sentence(real_nlp: Language) -> None:
    text = (
        "Jiang Hao was detained last year for espionage. A court in Beijing sentenced Feng Bo to six "
        "years in prison, deprived him of political rights for two years, and confiscated 500,000 "
        "yuan of his assets for spying."
    )
    doc = real_nlp(text)
    him = next(s for s in doc.spans[CLUSTERS_KEY] if s.text == "him")
    assert him.label_ == "Feng Bo"  # not Jiang Hao, the earlier sentence's subject
    got = _penalties(_one(real_nlp, text))
    assert {("Feng Bo", "imprisonment", 72), ("Feng Bo", "political_rights_deprivation", 24)} <= got


def test_a_penalty_named_after_another_is_not_shared(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The Taichung District Court convicted two retired officers of spying for China. Pan Kuo-wei, "
        "a retired navy commander, got eight years and two months, and Yeh Shu-fen, his former "
        "assistant, five years.",
    )
    got = _penalties(record)
    assert ("Pan Kuo-wei", "imprisonment", 98) in got
    assert ("Yeh Shu-fen", "imprisonment", 60) in got
    assert ("Yeh Shu-fen", "imprisonment", 98) not in got


def test_a_surname_that_is_an_english_word(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "He Jian, a former engineer at a shipyard in Dalian, was sentenced to seven years in prison "
        "for espionage after he sold ship drawings to a foreign spy agency.",
    )
    assert record["relevant"] is True
    assert record["subjects"] == ["He Jian"]
    assert ("He Jian", "imprisonment", 84) in _penalties(record)


def test_supervised_release_is_a_penalty_not_a_release(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "John Smith, 45, was sentenced to 60 months in prison for acting as an agent of China. "
        "He will also serve two years of supervised release and pay a $25,000 fine.",
    )
    assert {("John Smith", "supervised_release", 24), ("John Smith", "fine", 25000)} <= _penalties(record)
    assert [e["label"] for e in record["stage"]["events"]] == ["sentencing"]


def test_a_statute_year_is_not_a_stage_date(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Mark Lee, a former defence official, was convicted under the Official Secrets Act 1989 "
        "of passing files to Chinese agents.",
    )
    conviction = next(e for e in record["stage"]["events"] if e["label"] == "conviction")
    assert conviction["evidence"] == "convicted"
    assert "date" not in conviction


# -- the features and the alignment --------------------------------------------------------


def test_clusters_carry_every_mention_and_a_role_score(real_nlp: Language) -> None:
    doc = real_nlp(
        "Judge Ellen Ray sentenced Omar Haddad to nine years. He had sold drone designs to a "
        "foreign agent. Haddad's lawyer said he would appeal."
    )
    mentions = {(s.text, s.label_, s.id_) for s in doc.spans[CLUSTERS_KEY]}
    assert ("Omar Haddad", "Omar Haddad", "name") in mentions
    assert ("he", "Omar Haddad", "pronoun") in mentions  # "Haddad's lawyer said he would appeal"
    scores = doc.user_data[CLUSTER_SCORES]
    assert scores["Omar Haddad"] >= 0.5 > scores["Ellen Ray"]


def test_feature_words_read_the_parse(real_nlp: Language) -> None:
    doc = real_nlp("Omar Haddad was sentenced to nine years in prison.")
    words = role_words(doc, [(0, 11, "name")], "Omar Haddad", None)
    assert "dh=nsubjpass_sentence" in words
    assert not any(w.startswith("rule_") for w in words)
    pair = pair_words(doc, (27, 49), (0, 11, "name"), 0, 0, 0, True, True)
    assert {"pos=before", "back=<=0", "pverb=sentence", "rule=1"} <= set(pair)


def test_alignment_labels_clusters_and_pairs_from_article_labels(real_nlp: Language) -> None:
    from nlp.training import recording_nlp

    text = (
        "Judge Ellen Ray sentenced Omar Haddad to nine years in prison for selling drone designs "
        "to a foreign agent, and Lena Haddad, his sister, to two years."
    )
    gold = {
        "relevant": True,
        "subjects": ["Omar Haddad", "Lena Haddad", "Nobody Named"],
        "penalties": [
            {"person": "Omar Haddad", "kind": "imprisonment", "months": 108},
            {"person": "Lena Haddad", "kind": "imprisonment", "months": 24},
        ],
    }
    nlp = recording_nlp(None)
    roles = collect(nlp, [("a", text, gold)], "roles")
    labelled = dict((" ".join(w), y) for w, y in roles.found["a"])
    assert sum(labelled.values()) == 2  # the two Haddads, not the judge
    assert (roles.gold, roles.unaligned) == (3, 1)  # "Nobody Named" is in no cluster
    pairs = collect(nlp, [("a", text, gold)], "attribution")
    assert pairs.positive == 2
    assert pairs.examples > pairs.positive
    assert pairs.unaligned == 0
    doc = nlp(text)
    assert doc.user_data[ROLE_RECORD]
    assert doc.user_data[LINK_RECORD]


def test_a_uk_extended_sentence_is_custody_and_licence(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A former Border Force officer who spied on Hong Kong activists for Chinese intelligence has "
        "been given an extended sentence of 12 years. Ronan Pryce, 39, will serve eight years in "
        "custody followed by an extended licence period of four years, the judge said.",
    )
    got = _penalties(record)
    assert {("Ronan Pryce", "imprisonment", 96), ("Ronan Pryce", "supervised_release", 48)} <= got
    assert ("Ronan Pryce", "imprisonment", 144) not in got


def test_time_in_custody_before_trial_is_no_sentence(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Raymond Tse, 36, was sentenced to time served for acting as an agent of China's Ministry of "
        "State Security, having spent about 14 months in custody.",
    )
    assert record["relevant"] is True
    assert ("Raymond Tse", "imprisonment", None) in _penalties(record)
    assert ("Raymond Tse", "imprisonment", 14) not in _penalties(record)
