"""Who the digest names: only sentences in the sentences table, people per case, no people in the index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup

from bulletin.records import Case, Digest, Extraction, SourceLink
from digest.render import digest_context, render_digest
from tests.digest.conftest import BEIJING, GENERATED, PERIOD_END, PERIOD_START, entity


def case(story_id: int, headline: str, **extraction: Any) -> Case:
    published = datetime(2026, 11, 26, 10, story_id % 60, tzinfo=BEIJING)
    return Case(
        story_id=story_id,
        headline=headline,
        published_at=published,
        links=(
            SourceLink("globaltimes", f"https://www.globaltimes.cn/page/{story_id}.shtml", "x", published),
        ),
        extraction=Extraction(id=str(story_id), relevant=True, **extraction),
    )


def digest_of(*cases: Case) -> Digest:
    return Digest(period="daily", start=PERIOD_START, end=PERIOD_END, generated_at=GENERATED, cases=cases)


def two_fengs() -> Digest:
    """Two cases, two different people surnamed Feng; spaCy labelled one of them ORG."""
    return digest_of(
        case(
            1,
            "Engineer surnamed Feng jailed for six years",
            subjects=("Feng",),
            entities=(entity("Feng", "ORG"), entity("Ministry of State Security", "ORG")),
            penalties=({"person": "Feng", "kind": "imprisonment", "months": 72},),
        ),
        case(
            2,
            "Couple surnamed Feng and Jiang sentenced",
            subjects=("Feng", "Jiang"),
            entities=(entity("Feng", "ORG"), entity("MSS", "ORG")),
            penalties=(
                {"person": "Feng", "kind": "imprisonment", "months": 72},
                {"person": "Jiang", "kind": "imprisonment", "months": 66},
            ),
        ),
    )


def test_two_people_with_one_name_in_two_cases_are_two_people():
    context = digest_context(two_fengs())
    assert context["people_sentenced"] == 3
    assert [(row.person, row.case.number) for row in context["sentences"]] == [
        ("Feng", 1),
        ("Feng", 2),
        ("Jiang", 2),
    ]
    index = {entry.name for group in context["index"] for entry in group.entries}
    assert "Feng" not in index  # one "Feng: cases 1, 2" entry read as one organisation


def test_one_person_named_twice_in_one_case_is_one_person():
    context = digest_context(
        digest_of(
            case(
                3,
                "Feng sentenced",
                subjects=("Feng",),
                penalties=(
                    {"person": "Feng", "kind": "imprisonment", "months": 72},
                    {"person": "Feng", "kind": "political_rights_deprivation", "months": 24},
                ),
            )
        )
    )
    assert context["people_sentenced"] == 1
    assert [row.words for row in context["sentences"]] == ["6 years in prison · political rights 2 years"]


def test_index_leaves_out_people_and_stray_symbols():
    digest = digest_of(
        case(
            5,
            "Former contractor sentenced",
            subjects=("Gregory Pike",),
            entities=(
                entity("Pike", "ORG"),  # the subject's surname, mislabelled
                entity("Top Secret", "ORG"),
                entity("Mr. Pike's", "ORG"),
                entity("《", "ORG"),
                entity("王某", "ORG"),  # "a man surnamed Wang", as Chinese copy writes it
                entity("2024", "ORG"),
                entity("§", "NORP"),
                entity("Li", "GPE"),  # a PERSON of the article, read as a place
                entity("Li", "PERSON"),
                entity("Maryland", "GPE"),
                entity("FBI", "ORG"),
            ),
        )
    )
    index = {group.heading: [e.name for e in group.entries] for group in digest_context(digest)["index"]}
    assert index == {"Organizations": ["FBI", "Top Secret"], "Places": ["Maryland"]}


def test_an_organisation_named_like_a_person_of_another_case_stays():
    """Only the same article's people are left out: "Wang" the ORG of case 1 is not case 2's Wang."""
    digest = digest_of(
        case(6, "A", entities=(entity("Huawei", "ORG"),)),
        case(7, "B", subjects=("Huawei",)),
    )
    index = [e.name for group in digest_context(digest)["index"] for e in group.entries]
    assert index == ["Huawei"]


def reward_story() -> Case:
    return case(
        8,
        "US offers $5 million reward for information on hackers",
        subjects=("Feng Li",),
        penalties=(
            {
                "person": "Feng Li",
                "kind": "fine",
                "amount": 5_000_000,
                "currency": "USD",
                "evidence": "a reward of up to $5 million",
            },
            {"person": "Feng Li", "kind": "imprisonment", "months": 240, "evidence": "faces up to 20 years"},
        ),
    )


def seizure_story() -> Case:
    return case(
        9,
        "Resident rewarded for reporting suspicious surveyor near air base",
        penalties=({"person": "", "kind": "asset_confiscation", "evidence": "confiscated"},),
    )


def test_rewards_maxima_and_lone_seizures_are_not_sentences():
    digest = digest_of(
        reward_story(),
        seizure_story(),
        case(
            10,
            "Huang handed suspended death sentence",
            penalties=(
                {"person": "Huang", "kind": "death_with_reprieve", "reprieve_months": 24},
                {"person": "Huang", "kind": "asset_confiscation", "evidence": "confiscated"},
            ),
        ),
    )
    context = digest_context(digest)
    assert [(row.person, row.words) for row in context["sentences"]] == [
        ("Huang", "death sentence (2-year reprieve) · assets confiscated")
    ]
    assert context["people_sentenced"] == 1
    soup = BeautifulSoup(render_digest(digest, "html"), "lxml")
    assert soup.select("#case-8 ul.penalties li") == []
    assert soup.select("#case-9 ul.penalties li") == []
    assert [td.get_text() for td in soup.select("table.sentences tr td:first-child")] == ["Huang"]


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_text_sentences_section_skips_the_reward(fmt):
    rendered = render_digest(digest_of(reward_story()), fmt)
    assert "Sentences handed down".upper() not in rendered.upper()
    assert "$5,000,000" not in rendered
