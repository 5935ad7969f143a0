"""The effective record: machine output plus corrections, kept across re-extraction."""

from __future__ import annotations

from typing import Any

from bulletin.corrections import (
    Correction,
    Item,
    apply,
    confirmed,
    is_reviewed,
    item_key,
    items,
    pending,
    review_priority,
)
from tests.review.archive import FENG, feng_record


def _item(record: dict[str, Any], kind: str, index: int = 0) -> Item:
    return [i for i in items(record) if i.kind == kind][index]


def _decide(action: str, item: Item) -> Correction:
    return Correction(action, item.kind, item.key, dict(item.value), None, "ana")


def test_machine_record_is_never_modified():
    record = feng_record()
    before = repr(record)
    apply(record, [_decide("reject", _item(record, "tactic"))])
    assert repr(record) == before


def test_accept_reject_edit_add():
    record = feng_record()
    tactic, prison = _item(record, "tactic"), _item(record, "penalty")
    edited = {**prison.value, "months": 84}
    start, end = FENG.index("foreign agent"), FENG.index("foreign agent") + len("foreign agent")
    added = {"text": "foreign agent", "label": "NORP", "start": start, "end": end}
    effective = apply(
        record,
        [
            _decide("accept", _item(record, "subject")),
            _decide("reject", tactic),
            Correction("edit", "penalty", prison.key, dict(prison.value), edited, "ana"),
            Correction("add", "entity", None, None, added, "ana"),
        ],
    )
    out = effective.record
    assert out["tactics"] == []
    assert out["penalties"][0]["months"] == 84
    assert added in out["entities"]
    assert effective.decisions[item_key("subject", {"name": "Feng"})] == "accept"
    assert effective.decisions[item_key("penalty", edited)] == "edit"
    assert [c.kind for c in effective.rejected] == ["tactic"]
    assert not effective.conflicts


def test_adding_what_the_rules_also_find_adds_no_duplicate():
    record = feng_record()
    tactic = _item(record, "tactic")
    effective = apply(record, [Correction("add", "tactic", None, None, dict(tactic.value), "ana")])
    assert len(effective.record["tactics"]) == 1


def test_turning_the_verdict_over_empties_the_lists():
    record = feng_record()
    effective = apply(record, [_decide("reject", _item(record, "relevance"))])
    assert effective.record["relevant"] is False
    assert effective.record["subjects"] == []
    assert effective.record["penalties"] == []
    again = apply(record, [Correction("edit", "relevance", "relevance", None, {"relevant": True}, "ana")])
    assert again.record["relevant"] is True
    assert again.record["subjects"] == ["Feng"]


def test_corrections_follow_text_that_moved():
    """An updated page shifts every offset: the correction finds its item by its words."""
    record = feng_record()
    tactic = _item(record, "tactic")
    moved = feng_record("Updated: " + FENG)
    effective = apply(moved, [_decide("reject", tactic)])
    assert effective.record["tactics"] == []
    assert not effective.conflicts


def test_a_correction_the_new_extraction_no_longer_matches_is_kept_and_flagged():
    record = feng_record()
    tactic = _item(record, "tactic")
    prison = _item(record, "penalty")
    corrections = [
        _decide("accept", tactic),
        Correction("edit", "penalty", prison.key, dict(prison.value), {**prison.value, "months": 60}, "ana"),
    ]
    newer = feng_record()
    newer["tactics"] = []  # the new rules lost the tactic ...
    newer["penalties"] = newer["penalties"][1:]  # ... and the prison term
    effective = apply(newer, corrections)
    assert effective.record["tactics"] == [tactic.value]  # the analyst's word stays
    assert effective.record["penalties"][-1]["months"] == 60
    assert len(effective.conflicts) == 2
    assert not is_reviewed(effective)
    # Deciding again on the kept item settles the conflict.
    kept = _item(effective.record, "tactic")
    settled = apply(newer, [*corrections, _decide("accept", kept)])
    assert len(settled.conflicts) == 1


def test_rejecting_what_the_rules_no_longer_find_is_no_conflict():
    record = feng_record()
    newer = feng_record()
    newer["tactics"] = []
    effective = apply(newer, [_decide("reject", _item(record, "tactic"))])
    assert not effective.conflicts


def test_reviewed_when_every_item_is_decided():
    record = feng_record()
    corrections = [_decide("accept", item) for item in items(record)]
    assert is_reviewed(apply(record, corrections))
    assert len(pending(apply(record, corrections[:-1]))) == 1


def test_confirmed_leaves_out_what_nobody_reviewed():
    record = feng_record()
    corrections = [_decide("accept", item) for item in items(record)]
    newer = feng_record()
    extra = {"label": "emotional_manipulation", "evidence": "a court", "start": 80, "end": 87}
    newer["tactics"].append(extra)
    effective = apply(newer, corrections)
    assert extra in effective.record["tactics"]
    assert extra not in confirmed(effective)["tactics"]
    assert confirmed(effective)["penalties"] == record["penalties"]


def test_review_priority():
    record = feng_record()
    assert review_priority(record) == 2
    assert review_priority({**record, "relevance": 0.55}) == 0
    assert review_priority({**record, "relevance": 0.3}) == 0
    unnamed = {**record, "penalties": [{**record["penalties"][0], "person": None}]}
    assert review_priority(unnamed) == 1
    assert review_priority({**record, "subjects": ["Feng", "Li"]}) == 1
    assert review_priority({"relevant": False, "relevance": 0.05}) == 2
