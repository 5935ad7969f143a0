"""Case linking: series of reports become one case, decoys do not, corrections survive relinking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bulletin.cases import (
    StoryFacts,
    confirm_candidate,
    link_stories,
    load_rules,
    merge_cases,
    pair_score,
    person,
    reject_candidate,
    relink,
    split_case,
    story_facts,
)
from bulletin.errors import BulletinError
from bulletin.records import CaseCorrection
from bulletin.store import Store
from tests import case_series

SERIES = ("leung", "xu", "zhao")
DECOYS = ("wang-drone", "wang-sailor", "wang-electronics")


@pytest.fixture
def store(memory_archive: str) -> Iterator[Store]:
    with Store.open(memory_archive) as opened:
        yield opened


@pytest.fixture
def linked(store: Store) -> dict[str, int]:
    ids = case_series.build(store)
    relink(store)
    return ids


def case_of(store: Store, ids: dict[str, int]) -> dict[str, int | None]:
    return {name: store.story_case(story) for name, story in ids.items()}


def test_each_series_is_one_case_and_the_decoys_are_three(store: Store, linked: dict[str, int]) -> None:
    cases = case_of(store, linked)
    gold = case_series.gold()
    for series in SERIES:
        members = {cases[name] for name in linked if gold[name]["case"] == series}
        assert len(members) == 1, (series, members)
        # Named by its earliest report.
        assert members == {linked[f"{series}-1"]}
    assert len({cases[name] for name in DECOYS}) == 3
    assert not {cases[name] for name in DECOYS} & {cases[f"{s}-1"] for s in SERIES}
    score = pair_score(
        {k: v for k, v in cases.items() if v is not None}, {k: g["case"] for k, g in gold.items()}
    )
    assert (score.precision, score.recall) == (1.0, 1.0)


def test_a_case_file_has_its_timeline_and_latest_stage(store: Store, linked: dict[str, int]) -> None:
    case = store.case_file(linked["leung-1"])
    assert case is not None
    assert [r.story_id for r in case.reports] == [linked[f"leung-{n}"] for n in (1, 2, 3, 4)]
    assert [r.stage for r in case.reports] == ["charge", "charge", "conviction", "sentencing"]
    assert case.summary.stage == "sentencing"
    assert case.summary.stage_date == "2024-10-02"
    assert case.summary.reports == 4
    assert all(r.links and r.links[0].url.startswith("https://") for r in case.reports)
    # The later reports name him by surname only: the score and what matched are kept.
    surname_only = case.reports[3]
    assert load_rules().link <= surname_only.score <= 1.0
    assert any(reason.startswith("name: Leung") for reason in surname_only.reasons)
    assert any("pacific rim avionics" in reason for reason in surname_only.reasons)


def test_a_surname_with_one_shared_city_is_only_a_candidate(store: Store, linked: dict[str, int]) -> None:
    """Wang Jun, sentenced in Shenzhen, and the Shenzhen drone employee surnamed Wang: not
    linked, but put before an analyst."""
    drone = store.case_file(linked["wang-drone"])
    assert drone is not None
    assert [r.story_id for r in drone.reports] == [linked["wang-drone"]]
    assert [r.story_id for r in drone.candidates] == [linked["wang-electronics"]]
    assert 0.4 <= drone.candidates[0].score < 0.6
    assert store.story_case(linked["wang-electronics"]) == linked["wang-electronics"]


def test_relinking_gives_the_same_cases(store: Store, linked: dict[str, int]) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        rows = store.conn.execute(
            "SELECT story_id, case_id, status, score, reasons FROM case_links"
        ).fetchall()
        cases = store.conn.execute("SELECT id, title, stage, stage_date, reports FROM cases").fetchall()
        return sorted(tuple(r) for r in rows) + sorted(tuple(r) for r in cases)

    first = snapshot()
    relink(store)
    assert snapshot() == first


def test_the_order_stories_come_in_does_not_matter() -> None:
    rules = load_rules()
    stories = [
        story_facts(i, case_series.published(item), case_series.records()[item["id"]], rules)
        for i, item in enumerate(case_series.items(), start=1)
    ]
    expected = link_stories(stories, rules=rules)
    assert link_stories(stories[::-1], rules=rules) == expected
    assert link_stories(stories[5:] + stories[:5], rules=rules) == expected


def test_a_new_report_joins_the_case_when_it_arrives(store: Store) -> None:
    ids = case_series.build(store, only={"xu-1"})
    relink(store)
    assert store.story_case(ids["xu-1"]) == ids["xu-1"]
    ids |= case_series.build(store, only={"xu-2", "xu-3"})
    relink(store)
    assert {store.story_case(ids[n]) for n in ("xu-1", "xu-2", "xu-3")} == {ids["xu-1"]}


def facts(story_id: int, day: int, names: list[str], **kinds: list[str]) -> StoryFacts:
    return StoryFacts(
        story_id=story_id,
        moment=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day),
        title=f"story {story_id}",
        people=tuple(p for p in map(person, names) if p is not None),
        facts=frozenset((kind, value) for kind, values in kinds.items() for value in values),
    )


def case_ids(stories: list[StoryFacts], corrections: list[CaseCorrection] | None = None) -> dict[int, int]:
    result = link_stories(stories, corrections or [])
    return {k.story_id: k.case_id for k in result.links if k.status == "linked"}


def test_full_names_match_in_either_order_and_with_middle_names() -> None:
    stories = [
        facts(1, 0, ["Minghui Zhao"], place=["cincinnati"]),
        facts(2, 30, ["Zhao Minghui"], place=["cincinnati"]),
        facts(3, 60, ["Kelvin Chun Ho Leung"], org=["pacific rim avionics"]),
        facts(4, 90, ["Kelvin Leung"], org=["pacific rim avionics"]),
    ]
    assert case_ids(stories) == {1: 1, 2: 1, 3: 3, 4: 3}


def test_a_full_name_alone_is_a_candidate_not_a_link() -> None:
    """ "Wang Wei" is many people: the same full name and nothing else in common."""
    result = link_stories([facts(1, 0, ["Wang Wei"], place=["chengdu"]), facts(2, 40, ["Wei Wang"])])
    assert {(k.story_id, k.case_id, k.status) for k in result.links} == {
        (1, 1, "linked"),
        (2, 2, "linked"),
        (2, 1, "candidate"),
    }


def test_a_surname_alone_never_links() -> None:
    stories = [facts(1, 0, ["Xu Haoran"]), facts(2, 10, ["Xu"])]
    assert case_ids(stories) == {1: 1, 2: 2}


def test_a_surname_with_an_employer_and_a_city_links() -> None:
    stories = [
        facts(1, 0, ["Xu"], org=["northwest institute"], place=["xi'an"]),
        facts(2, 200, ["Xu Haoran"], org=["northwest institute"], place=["xi'an"]),
    ]
    assert case_ids(stories) == {1: 1, 2: 1}


def test_two_wangs_with_other_given_names_and_nothing_in_common_stay_apart() -> None:
    stories = [
        facts(1, 0, ["Wang Wei"], place=["chengdu"]),
        facts(2, 5, ["Wang Lei"], place=["san diego"]),
        facts(3, 9, ["Wang"], org=["drone maker"]),
    ]
    assert case_ids(stories) == {1: 1, 2: 2, 3: 3}


def test_a_report_that_matches_two_cases_bridges_them() -> None:
    stories = [
        facts(1, 0, ["Chun Ho Leung"], org=["pacific rim avionics"]),
        facts(2, 50, ["Kelvin Leung"], place=["honolulu"]),
        facts(3, 100, ["Kelvin Chun Ho Leung"], org=["pacific rim avionics"], place=["honolulu"]),
    ]
    assert case_ids(stories) == {1: 1, 2: 1, 3: 1}


def test_corrections_override_the_scores() -> None:
    a, b = facts(1, 0, ["Xu Haoran"], place=["xi'an"]), facts(2, 10, ["Xu Haoran"], place=["xi'an"])
    assert case_ids([a, b]) == {1: 1, 2: 1}
    apart = [CaseCorrection("different", 1, 2, "split")]
    assert case_ids([a, b], apart) == {1: 1, 2: 2}
    # The correction made last wins.
    again = [*apart, CaseCorrection("same", 2, 1, "merge")]
    assert case_ids([a, b], again) == {1: 1, 2: 1}
    c = facts(3, 20, ["Somebody Else"])
    assert case_ids([a, c], [CaseCorrection("same", 1, 3, "confirm")]) == {1: 1, 3: 1}


def test_merge_split_confirm_and_reject_survive_relinking(store: Store, linked: dict[str, int]) -> None:
    drone, sailor, electronics = (linked[n] for n in DECOYS)
    # An analyst says the drone employee and the sailor are one case (the review page's merge).
    assert merge_cases(store, drone, sailor, note="same Wang, says the source") == drone
    assert store.story_case(sailor) == drone
    relink(store)
    assert store.story_case(sailor) == drone
    # ... then splits the sailor off again.
    assert split_case(store, drone, [sailor]) == sailor
    relink(store)
    assert store.story_case(sailor) == sailor
    assert store.story_case(drone) == drone
    # The candidate link: rejected, it is gone and stays gone.
    assert reject_candidate(store, electronics, drone) == electronics
    relink(store)
    case = store.case_file(drone)
    assert case is not None
    assert not case.candidates
    # Confirming it (the later decision) puts it in the case.
    assert confirm_candidate(store, electronics, drone) == drone
    relink(store)
    assert store.story_case(electronics) == drone
    kinds = [(c.kind, c.action) for c in store.case_corrections()]
    assert kinds == [
        ("same", "merge"),
        ("different", "split"),
        ("different", "reject"),
        ("same", "confirm"),
    ]
    assert store.case_corrections()[0].note == "same Wang, says the source"


def test_corrections_refuse_what_is_not_there(store: Store, linked: dict[str, int]) -> None:
    with pytest.raises(BulletinError, match="no case 999"):
        merge_cases(store, 999, linked["xu-1"])
    with pytest.raises(BulletinError, match="has no story"):
        split_case(store, linked["xu-1"], [linked["leung-1"]])
    with pytest.raises(BulletinError, match="some to stay"):
        split_case(store, linked["xu-1"], [linked[f"xu-{n}"] for n in (1, 2, 3)])


def test_listing_cases_by_stage_and_date(store: Store, linked: dict[str, int]) -> None:
    sentenced = store.case_summaries(stage="sentencing")
    assert {c.id for c in sentenced} == {linked["leung-1"], linked["wang-electronics"]}
    recent = store.case_summaries(since=datetime(2025, 1, 1).date())
    assert {c.id for c in recent} == {linked["xu-1"], linked["zhao-1"]}
    # Latest report first.
    assert [c.id for c in recent] == [linked["zhao-1"], linked["xu-1"]]
