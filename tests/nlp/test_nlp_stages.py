"""bulletin_stages and nlp.dates: the legal stage a report gives, with its date and evidence."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from spacy.language import Language

from bulletin.records import extraction_from_json
from nlp.dates import date_parts, resolve
from nlp.pipeline import extract

# A lead sentence makes each text a security case, as the pipeline only fills relevant records.
LEAD = (
    "A former radar engineer named Tomas Brandt passed classified documents to officers of a "
    "foreign intelligence agency, prosecutors said. "
)


def stage(nlp: Language, text: str, published: str) -> dict[str, Any] | None:
    record = next(extract(nlp, [{"id": "t", "text": LEAD + text, "published": published}])).to_json()
    assert record["relevant"], record
    found = record.get("stage")
    assert found is None or isinstance(found, dict)
    return found


@pytest.mark.parametrize(
    ("published", "text", "label", "when"),
    [
        # US releases
        ("2025-06-13", "Brandt was arrested on Wednesday at Dulles airport.", "detention", "2025-06-11"),
        ("2025-06-13", "FBI agents took Brandt into custody in May near his home.", "detention", "2025-05"),
        (
            "2025-06-13",
            "A grand jury indicted Brandt on March 4, 2025, on two counts.",
            "charge",
            "2025-03-04",
        ),
        (
            "2025-06-13",
            "Brandt was charged in a criminal complaint unsealed on Thursday.",
            "charge",
            "2025-06-12",
        ),
        ("2025-06-13", "Brandt pleaded not guilty at his arraignment.", "charge", None),
        (
            "2025-06-13",
            "Brandt pleaded guilty today to conspiracy to transmit defense information.",
            "conviction",
            "2025-06-13",
        ),
        (
            "2025-06-13",
            "After a two-week trial, a jury found Brandt guilty last month.",
            "conviction",
            "2025-05",
        ),
        (
            "2025-06-13",
            "U.S. District Judge Ana Ruiz sentenced Brandt yesterday to 97 months in prison.",
            "sentencing",
            "2025-06-12",
        ),
        ("2025-06-13", "Brandt received a 12-year sentence.", "sentencing", None),
        ("2025-06-13", "The appeals court upheld his conviction in April last year.", "appeal", "2024-04"),
        ("2025-06-13", "Brandt was released from prison in 2024 and deported to Germany.", "release", "2024"),
        # Chinese state media
        (
            "2024-11-02",
            "In September, the state security organs took criminal coercive measures against Brandt.",
            "detention",
            "2024-09",
        ),
        (
            "2024-11-02",
            "The case was transferred to the procuratorate for review and prosecution.",
            "charge",
            None,
        ),
        (
            "2024-11-02",
            "Brandt was sentenced to life imprisonment and deprived of political rights for life.",
            "sentencing",
            None,
        ),
        (
            "2024-11-02",
            "The higher people's court rejected his appeal and upheld the original verdict on Oct. 28.",
            "appeal",
            "2024-10-28",
        ),
        (
            "2024-11-02",
            "Brandt was placed under residential surveillance in early 2023.",
            "detention",
            "2023",
        ),
    ],
)
def test_the_stage_and_its_date(
    real_nlp: Language, published: str, text: str, label: str, when: str | None
) -> None:
    found = stage(real_nlp, text, published)
    assert found is not None, text
    assert found["label"] == label
    assert found.get("date") == when
    full = LEAD + text
    # The evidence is the text at its offsets, and it holds the date words when there is a date.
    assert full[found["start"] : found["end"]] == found["evidence"]
    if when is not None:
        assert found["date_text"] in found["evidence"]


@pytest.mark.parametrize(
    "text",
    [
        "If convicted, Brandt faces up to 10 years in prison.",
        "Sentencing is scheduled for September 9.",
        "Brandt is expected to plead guilty next week.",
        "Brandt will be sentenced in the autumn.",
        "Brandt was not charged.",
        "Anyone who leaks state secrets will be arrested and prosecuted.",
        "The ministry released details of the case on its WeChat account.",
        "Brandt was released on bail.",
        "Citizens can appeal to the authorities through the 12339 hotline.",
        "The Criminal Law stipulates that whoever steals state secrets shall be sentenced to ten years.",
    ],
)
def test_no_stage_from_what_has_not_happened(real_nlp: Language, text: str) -> None:
    assert stage(real_nlp, text, "2025-06-13") is None


def test_a_report_gives_every_stage_and_its_furthest_one(real_nlp: Language) -> None:
    text = (
        "Brandt was arrested in June 2023 and pleaded guilty in February. On Tuesday a judge "
        "sentenced him to eight years in prison."
    )
    found = stage(real_nlp, text, "2024-05-10")
    assert found is not None
    assert [(e["label"], e.get("date")) for e in found["events"]] == [
        ("detention", "2023-06"),
        ("conviction", "2024-02"),
        ("sentencing", "2024-05-07"),
    ]
    assert found["label"] == "sentencing"
    assert found["date"] == "2024-05-07"


def test_a_penalty_found_is_a_sentencing_even_without_the_verb(real_nlp: Language) -> None:
    found = stage(real_nlp, "The court gave Brandt ten years in prison.", "2024-05-10")
    assert found is not None
    assert found["label"] == "sentencing"


def test_stage_survives_the_round_trip_through_json(real_nlp: Language) -> None:
    record = next(
        extract(
            real_nlp,
            [{"id": "t", "text": LEAD + "Brandt pleaded guilty on Monday.", "published": "2024-05-10"}],
        )
    ).to_json()
    again = extraction_from_json(record).to_json()
    assert again["stage"] == record["stage"]
    assert record["stage"]["date"] == "2024-05-06"


def test_no_stage_on_a_pipeline_without_a_parser(blank_nlp: Language) -> None:
    doc = blank_nlp("Brandt was arrested on Monday and sentenced to six years in prison.")
    assert list(doc.spans["bulletin_stages"]) == []


@pytest.mark.parametrize(
    ("words", "published", "expected"),
    [
        ("April 2023", "2024-06-14", "2023-04"),
        ("March 3, 2024", "2024-06-14", "2024-03-03"),
        ("21 December 2022", "2024-06-14", "2022-12-21"),
        ("Sept. 12", "2024-06-14", "2023-09-12"),  # a month after publication is last year's
        ("May 5", "2024-06-14", "2024-05-05"),
        ("Tuesday", "2024-06-14", "2024-06-11"),
        ("Friday", "2024-06-14", "2024-06-14"),
        ("yesterday", "2024-06-14", "2024-06-13"),
        ("last year", "2024-06-14", "2023"),
        ("last month", "2024-01-14", "2023-12"),
        ("April last year", "2024-06-14", "2023-04"),
        ("the end of 2014", "2024-06-14", "2014"),
        ("January to 10 years", "2024-06-14", "2024-01"),
        ("six years", "2024-06-14", None),
        ("48 months", "2024-06-14", None),
        ("May", "2024-06-14", "2024-05"),
        ("Tuesday", None, None),
        ("2021", None, "2021"),
    ],
)
def test_dates_as_bulletins_write_them(words: str, published: str | None, expected: str | None) -> None:
    day = date.fromisoformat(published) if published else None
    assert resolve(date_parts(words.split()), day) == expected
