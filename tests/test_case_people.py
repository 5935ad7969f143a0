"""Case linking beyond tagged entities: what reports say the person is (role, trade), the
stages they recall ("detained last year"), and the hand-written series that needs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bulletin.case_people import describe
from bulletin.cases import common_names, link_stories, load_rules, pair_score, relink, story_facts
from bulletin.store import Store
from tests import case_series


@pytest.fixture
def store(memory_archive: str) -> Iterator[Store]:
    with Store.open(memory_archive) as opened:
        yield opened


def words(text: str, names: list[str]) -> tuple[set[str], set[str]]:
    found = describe(text, names, load_rules().vocabulary)
    return set(found.roles), set(found.trades)


@pytest.mark.parametrize(
    ("text", "names", "roles", "trades"),
    [
        (
            "Zhou Wenbo, a technician at a shipyard in Dalian, has been detained.",
            ["Zhou Wenbo"],
            {"technician"},
            {"shipyard"},
        ),
        (
            "Zhou, a former shipyard technician detained last year, was sentenced.",
            ["Zhou"],
            {"technician"},
            {"shipyard"},
        ),
        (
            "Li Qiang, 45, a researcher at an aerospace institute in Xi'an, China, was arrested.",
            ["Li Qiang"],
            {"researcher"},
            {"aerospace", "research"},
        ),
        (
            "The court heard that former drone engineer Deng sold designs.",
            ["Deng Yu"],
            {"engineer"},
            {"drone"},
        ),
        (
            "Huang Tao and Deng Yu, engineers at a drone maker in Shenzhen, were detained.",
            ["Huang Tao"],
            {"engineer"},
            {"drone"},
        ),
        (
            "An employee surnamed Wang at a drone manufacturer in Shenzhen sold data.",
            ["Wang"],
            {"employee"},
            {"drone"},
        ),
        # Words about someone else are not the person's: the officer, the bank.
        ("Zhou met an intelligence officer who worked at a bank.", ["Zhou"], set(), set()),
        ("A bank engineer was fined. Zhou was sentenced on Friday.", ["Zhou"], set(), set()),
        ("Nothing here names him.", ["Zhou Wenbo"], set(), set()),
    ],
)
def test_a_description_is_read_next_to_the_persons_mention(
    text: str, names: list[str], roles: set[str], trades: set[str]
) -> None:
    assert words(text, names) == (roles, trades)


def test_the_namesake_in_another_city_and_trade_stays_apart() -> None:
    rules = load_rules()
    record = {"subjects": ["Zhou Wenbo"], "entities": [{"text": "Dalian", "label": "GPE"}]}
    arrest = story_facts(
        1,
        datetime(2024, 5, 10, tzinfo=UTC),
        {**record, "stage": {"label": "detention", "date": "2024-04", "events": []}},
        rules,
        describe(
            "Zhou Wenbo, a technician at a shipyard in Dalian, was detained.",
            ["Zhou Wenbo"],
            rules.vocabulary,
        ),
    )
    recall = {"label": "detention", "date": "2024", "evidence": "detained last year"}
    sentencing = {"label": "sentencing", "events": [recall, {"label": "sentencing"}]}

    def later(day: int, text: str, place: str) -> object:
        return story_facts(
            day,
            datetime(2025, 6, day, tzinfo=UTC),
            {"subjects": ["Zhou"], "entities": [{"text": place, "label": "GPE"}], "stage": sentencing},
            rules,
            describe(text, ["Zhou"], rules.vocabulary),
        )

    same = later(
        18, "Zhou, a former shipyard technician detained last year, was sentenced in Dalian.", "Dalian"
    )
    namesake = later(
        12, "Zhou, a bank software engineer in Chengdu detained last year, was sentenced.", "Chengdu"
    )
    result = link_stories([arrest, same, namesake])  # type: ignore[list-item]
    linked = {k.story_id: k.case_id for k in result.links if k.status == "linked"}
    assert linked == {1: 1, 18: 1, 12: 12}
    why = next(k.reasons for k in result.links if k.story_id == 18)
    assert "role: technician" in why
    assert "trade: shipyard" in why
    assert any(r.startswith("recalls the detention of 2024") for r in why)
    # Same surname, detained the same year: at most a candidate, told apart by the trade.
    doubt = [k for k in result.links if k.story_id == 12 and k.case_id == 1]
    assert all(k.status == "candidate" and k.score < load_rules().link for k in doubt)
    assert all(
        any(r.startswith("other trade: finance, software vs shipyard") for r in k.reasons) for k in doubt
    )


@pytest.mark.parametrize("series", [case_series.SERIES, case_series.DESCRIBED], ids=["named", "described"])
def test_each_hand_written_series_links_exactly_its_gold_cases(store: Store, series: object) -> None:
    ids = case_series.build(store, series=series)  # type: ignore[arg-type]
    relink(store)
    predicted = {name: case for name, story in ids.items() if (case := store.story_case(story)) is not None}
    gold = {name: row["case"] for name, row in case_series.gold(series).items()}  # type: ignore[arg-type]
    assert len(predicted) == len(gold)
    score = pair_score(predicted, gold)
    assert (score.fp, score.fn) == (0, 0), score


def test_a_full_name_made_of_common_words_is_common_and_a_rare_one_is_not() -> None:
    rules = load_rules()
    moment = datetime(2024, 1, 1, tzinfo=UTC)

    def named(n: int, name: str) -> object:
        return story_facts(n, moment, {"subjects": [name]}, rules)

    # "Smith" and "Paul" each in many other names; "Kelvin Chun Ho Leung" in its own reports only.
    people = [f"{given} Smith" for given in ("John", "Mark", "Anna", "Eric", "Mary", "Jason")]
    people += [f"Paul {family}" for family in ("Brown", "Davis", "Clark", "Moore", "White", "Lee")]
    people += ["Paul Smith", "Kelvin Chun Ho Leung", "Kelvin Chun Ho Leung"]
    common = common_names([named(n, name) for n, name in enumerate(people)])  # type: ignore[misc]
    assert frozenset({"paul", "smith"}) in common
    assert frozenset({"kelvin", "chun", "ho", "leung"}) not in common
    # A rare name's own reports do not make it common.
    assert not common_names([named(n, "Minghui Zhao") for n in range(4)])  # type: ignore[misc]


def test_a_common_full_name_alone_is_looked_at_within_the_follow_window_only() -> None:
    rules = load_rules()

    def named(n: int, day: datetime, name: str, stage: str) -> object:
        return story_facts(n, day, {"subjects": [name], "stage": {"label": stage, "events": []}}, rules)

    # Many other Smiths and Pauls make "Paul Smith" common.
    crowd = [f"{given} Smith" for given in ("John", "Mark", "Anna", "Eric", "Mary", "Jason")]
    crowd += [f"Paul {family}" for family in ("Brown", "Davis", "Clark", "Moore", "White", "Lee")]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    stories = [named(100 + n, start, name, "detention") for n, name in enumerate(crowd)]
    stories.append(named(1, datetime(2020, 3, 1, tzinfo=UTC), "Paul Smith", "detention"))
    stories.append(named(2, datetime(2020, 9, 1, tzinfo=UTC), "Paul Smith", "charge"))  # soon after
    stories.append(named(3, datetime(2025, 9, 1, tzinfo=UTC), "Paul Smith", "sentencing"))  # years later
    result = link_stories(stories)  # type: ignore[arg-type]
    links = {(k.story_id, k.case_id): k for k in result.links}
    # Soon after: a candidate (a common name and the next stage; a fact more would link it).
    assert links[(2, 1)].status == "candidate"
    # Five years on, the name alone is not looked at: no link, and no candidate either.
    assert not any(k.story_id == 3 and k.case_id == 1 for k in result.links)
