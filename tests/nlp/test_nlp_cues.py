"""Which tactic cues narrate the case (issue 18, item 7): the cue classifier over each cue's
sentence (nlp/components/cues.py, nlp/models/cues) vetoes what the rules propose.

tests/fixtures/tactics holds 36 short articles written blind to the extraction code: tactics
narrated in paraphrase, and tactic words that are only the story's topic, a general warning, a
denial or someone else's lawful business. Its floor sits a few points under the figure of
2026-12-07; the short tests pin the features and the veto with sentences written for them.
"""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language
from tests_nlp_helpers import TACTICS, read_jsonl

from nlp import MODELS, extract
from nlp.components.cues import CUE_LABEL, CUE_RECORD
from nlp.components.roles import FeatureClassifier
from nlp.components.tactics import TacticFilter
from nlp.evaluate import score
from nlp.training import collect, recording_nlp

NARRATED = (
    "A court in Hangzhou sentenced Wu Hao, a former clerk at a shipyard, to ten years in prison "
    "for espionage. Wu was paid 50,000 yuan by a foreign agent for photos of warships."
)
WARNING = (
    "Wu Hao, a clerk at a shipyard, was sentenced to ten years for espionage on Tuesday. The "
    "ministry warned that foreign spy agencies often use money to lure students and young people online."
)


@pytest.fixture(scope="module")
def recording() -> Language:
    return recording_nlp(MODELS)


def _cues(nlp: Language, text: str) -> list[dict[str, Any]]:
    return list(nlp(text).user_data.get(CUE_RECORD, []))


def test_the_cue_features_say_who_did_it(recording: Language) -> None:
    (first, *_) = _cues(recording, NARRATED)
    assert first["label"] == "financial_inducement"
    words = set(first["words"])
    assert {"label=financial_inducement", "vsubj=defendant", "sent_def=1"} <= words
    assert not any(w.startswith("rule_") for w in words)  # no rule filter objects


def test_a_general_warning_carries_the_rules_vote_and_is_not_kept(recording: Language) -> None:
    cues = _cues(recording, WARNING)
    online = next(c for c in cues if c["label"] == "online_approach")
    assert "rule_warning" in online["words"]
    doc = recording(WARNING)
    assert "online_approach" not in {s.label_ for s in doc.spans["bulletin_tactics"]}


def test_the_classifier_scores_a_narrated_payment_above_a_warning(recording: Language) -> None:
    classifier = FeatureClassifier(str(MODELS / "cues"), CUE_LABEL)
    narrated = classifier.scores([c["words"] for c in _cues(recording, NARRATED)])
    warning = classifier.scores([c["words"] for c in _cues(recording, WARNING)])
    assert min(narrated) >= 0.9  # measured 0.93-0.98
    assert max(warning) < min(narrated)


def test_the_veto_drops_a_cue_the_rules_pass(real_nlp: Language) -> None:
    """With a threshold no cue reaches, the classifier vetoes every cue; at 0 it vetoes none."""
    tactics = real_nlp.get_pipe("bulletin_tactics")
    before = tactics.cue_threshold  # type: ignore[attr-defined]
    try:
        tactics.cue_threshold = 1.01  # type: ignore[attr-defined]
        vetoed = real_nlp(NARRATED)
        assert not [s for s in vetoed.spans["bulletin_tactics"] if s.id_ != "classifier"]
        tactics.cue_threshold = 0.0  # type: ignore[attr-defined]
        kept = real_nlp(NARRATED)
        assert "financial_inducement" in {s.label_ for s in kept.spans["bulletin_tactics"]}
    finally:
        tactics.cue_threshold = before  # type: ignore[attr-defined]


def test_cue_examples_are_labelled_by_the_articles_tactics(recording: Language) -> None:
    items = [
        ("a", NARRATED, {"relevant": True, "tactics": ["financial_inducement"], "subjects": ["Wu Hao"]}),
        ("b", WARNING, {"relevant": True, "tactics": [], "subjects": ["Wu Hao"]}),
    ]
    found = collect(recording, items, "cues")
    assert found.found["a"]
    assert all(label for _, label in found.found["a"])
    assert found.found["b"]
    assert not any(label for _, label in found.found["b"])
    assert (found.gold, found.unaligned) == (1, 0)
    assert "gold tactics aligned to no cue" in found.summary()


def test_bad_cue_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="features"):
        TacticFilter("t", filters="tactic_filters.jsonl", cues_key="k", per_label=1, features="rules")
    with pytest.raises(ValueError, match="cue_threshold"):
        TacticFilter("t", filters="tactic_filters.jsonl", cues_key="k", per_label=1, cue_threshold="high")  # type: ignore[arg-type]


# Measured 2026-12-07 (pipeline 2026.12.07-2): tactics P 0.571 R 0.766 F1 0.655 (rules alone
# 0.649); subjects 0.963, penalties 1.000.
def test_tactics_on_articles_written_blind(real_nlp: Language) -> None:
    gold = {r["id"]: r for r in read_jsonl(TACTICS / "gold.jsonl")}
    predicted = {r.id or "": r.to_json() for r in extract(real_nlp, read_jsonl(TACTICS / "input.jsonl"))}
    result, misses = score(gold, predicted)
    assert result["tactics"]["f1"] >= 0.61, (result["tactics"], misses[:20])
    assert result["subjects"]["f1"] >= 0.92
    assert result["penalties"]["f1"] >= 0.95
