"""Rule components on spacy.blank("en"): penalties, subjects, tactics, laws, noise, config."""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from spacy.language import Language

from nlp.components.common import (
    MENTIONS_KEY,
    NOISE_KEY,
    PENALTIES_KEY,
    SUBJECTS_KEY,
    TACTICS_KEY,
    get_payload,
)


def penalties(nlp: Language, text: str) -> list[dict[str, Any]]:
    doc = nlp(text)
    out = []
    for span in doc.spans[PENALTIES_KEY]:
        record = get_payload(span)
        assert text[record["start"] : record["end"]] == record["evidence"]
        out.append({k: v for k, v in record.items() if k not in ("evidence", "start", "end")})
    return out


def test_seed_style_sentence(blank_nlp: Language) -> None:
    text = (
        "They identified a retired individual, surnamed Feng, as "
        "a target. A court sentenced Feng to "
        "six years in prison, deprived him of political rights "
        "for two years, and confiscated personal "
        "assets worth 500,000 yuan ($68,607)."
    )
    assert penalties(blank_nlp, text) == [
        {"person": "Feng", "kind": "imprisonment", "months": 72},
        {"person": "Feng", "kind": "political_rights_deprivation", "months": 24},
        {
            "person": "Feng",
            "kind": "asset_confiscation",
            "amount": 500000,
            "currency": "CNY",
            "usd": 68607,
        },
    ]


def test_respectively_and_each(blank_nlp: Language) -> None:
    text = (
        "Two engineers, surnamed Liu and surnamed Zhao, sold "
        "secrets. Liu and Zhao were sentenced to "
        "ten years and eight years in prison respectively, and "
        "each was deprived of political rights "
        "for three years."
    )
    got = penalties(blank_nlp, text)
    assert {"person": "Liu", "kind": "imprisonment", "months": 120} in got
    assert {"person": "Zhao", "kind": "imprisonment", "months": 96} in got
    assert {"person": "Liu", "kind": "political_rights_deprivation", "months": 36} in got
    assert {"person": "Zhao", "kind": "political_rights_deprivation", "months": 36} in got


def test_the_two_were_sentenced(blank_nlp: Language) -> None:
    text = "Two men surnamed Mo and Ding were caught. The two were sentenced to three years in prison."
    got = penalties(blank_nlp, text)
    assert {"person": "Mo", "kind": "imprisonment", "months": 36} in got
    assert {"person": "Ding", "kind": "imprisonment", "months": 36} in got


@pytest.mark.parametrize(
    ("sentence", "kind", "fields"),
    [
        ("He was jailed for eight years.", "imprisonment", {"months": 96}),
        ("He received a 10-year prison term.", "imprisonment", {"months": 120}),
        (
            "He was sentenced to fixed-term imprisonment of 12 years.",
            "imprisonment",
            {"months": 144},
        ),
        ("He was sentenced to time served.", "imprisonment", {}),
        ("He was sentenced to life in prison.", "life_imprisonment", {}),
        ("He was sentenced to death.", "death_sentence", {}),
        (
            "He was given a death sentence with a two-year reprieve.",
            "death_with_reprieve",
            {"reprieve_months": 24},
        ),
        (
            "He was deprived of political rights for life.",
            "political_rights_deprivation",
            {"for_life": True},
        ),
        (
            "He was handed lifelong deprivation of political rights.",
            "political_rights_deprivation",
            {"for_life": True},
        ),
        ("He was sentenced to two years of probation.", "probation", {"months": 24}),
        ("He was fined 20,000 yuan.", "fine", {"amount": 20000, "currency": "CNY"}),
        ("He was ordered to pay a $10,000 fine.", "fine", {"amount": 10000, "currency": "USD"}),
        (
            "He was ordered to forfeit $1.5 million.",
            "forfeiture",
            {"amount": 1500000, "currency": "USD"},
        ),
        (
            "He had personal property of 1.2 million yuan confiscated.",
            "asset_confiscation",
            {"amount": 1200000, "currency": "CNY"},
        ),
        ("The court confiscated all of his personal property.", "asset_confiscation", {}),
        (
            "Tens of thousands of yuan of his assets were confiscated.",
            "asset_confiscation",
            {"currency": "CNY"},
        ),
    ],
)
def test_penalty_shapes(blank_nlp: Language, sentence: str, kind: str, fields: dict[str, Any]) -> None:
    text = "A man surnamed Wang spied for a foreign agency. " + sentence
    got = [p for p in penalties(blank_nlp, text) if p["kind"] == kind]
    assert got
    assert got[0] == {"person": "Wang", "kind": kind, **fields} or (
        kind == "asset_confiscation" and "amount" not in fields and "amount" not in got[0]
    )


def test_supervised_release_after_prison(blank_nlp: Language) -> None:
    text = (
        "A man surnamed Kim spied for a foreign agency. Kim was sentenced to 36 months in prison "
        "followed by three years of supervised release."
    )
    assert penalties(blank_nlp, text) == [
        {"person": "Kim", "kind": "imprisonment", "months": 36},
        {"person": "Kim", "kind": "supervised_release", "months": 36},
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "He faces a maximum penalty of 10 years in prison and a $250,000 fine.",
        "He faces up to 20 years in prison.",
        "Prosecutors sought 8 years in prison.",
        "Sentencing is scheduled for March; he could be sentenced to 15 years.",
        "The Criminal Law stipulates that such offenders shall be sentenced to not less than ten years.",
        "Espionage is punishable by up to life imprisonment.",
        "He was taken into custody and handed over for prosecution.",
        "He received payments of 80,000 yuan from the handler.",
    ],
)
def test_not_penalties(blank_nlp: Language, sentence: str) -> None:
    assert penalties(blank_nlp, "A man surnamed Wang spied for a foreign agency. " + sentence) == []


def test_pronoun_and_role_resolve_to_subject(blank_nlp: Language) -> None:
    text = (
        "An engineer surnamed Gao passed drawings to a spy agency. Investigators traced the files. "
        "The former engineer was sentenced to seven years in prison."
    )
    doc = blank_nlp(text)
    assert [s.label_ for s in doc.spans[SUBJECTS_KEY]] == ["Gao"]
    assert ("The former engineer", "Gao") in [(m.text, m.label_) for m in doc.spans[MENTIONS_KEY]]
    assert penalties(blank_nlp, text) == [{"person": "Gao", "kind": "imprisonment", "months": 84}]


def test_pseudonym_subject(blank_nlp: Language) -> None:
    doc = blank_nlp("The engineer, Xiao Zhe (pseudonym), was recruited by a foreign spy agency.")
    assert [s.label_ for s in doc.spans[SUBJECTS_KEY]] == ["Xiao Zhe"]


def test_tactics_listed_kept_and_warning_dropped(blank_nlp: Language) -> None:
    text = (
        "The agency used tactics such as emotional manipulation "
        "and contract packaging to lure him. "
        "Citizens should beware of high-paid part-time jobs online and blackmail."
    )
    doc = blank_nlp(text)
    labels = {s.label_ for s in doc.spans[TACTICS_KEY]}
    assert labels == {"emotional_manipulation", "contract_packaging"}


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("They offered him a high consulting fee.", "financial_inducement"),
        ("He recruited his former subordinate to help gather intelligence.", "proxy_recruitment"),
        ("A handler posing as a headhunter contacted him.", "false_identity"),
        ("He secretly copied and photographed classified materials.", "insider_exploitation"),
        ("The reports were encrypted before delivery.", "covert_communication"),
        ("He threatened to expose that she had already leaked secrets.", "blackmail_coercion"),
        (
            "He logged onto the website of a foreign agency and offered cooperation.",
            "voluntary_offer",
        ),
        ("He was approached via social media.", "online_approach"),
        ("The contact was made under the guise of an academic exchange.", "project_collaboration"),
    ],
)
def test_narrated_tactics(blank_nlp: Language, sentence: str, label: str) -> None:
    doc = blank_nlp(sentence)
    assert label in {s.label_ for s in doc.spans[TACTICS_KEY]}


def test_noise_lines_marked(blank_nlp: Language) -> None:
    text = "![MSS](https://example.com/a.jpeg)\nPhoto: VCG\nA man surnamed Li was detained for spying.\n"
    doc = blank_nlp(text)
    assert [s.text for s in doc.spans[NOISE_KEY]] == [
        "![MSS](https://example.com/a.jpeg)",
        "Photo: VCG",
    ]


def test_config_is_validated() -> None:
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="expected an int >= 0, got -1"):
        nlp.add_pipe("bulletin_penalties", config={"evidence_window": -1})
    with pytest.raises(ValueError, match="expected an int >= 1"):
        nlp.add_pipe("bulletin_tactics", config={"per_label": 0})


def test_factories_registered_by_entry_point() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="spacy_factories")}
    assert {
        "bulletin_noise",
        "bulletin_subjects",
        "bulletin_penalties",
        "bulletin_tactics",
    } <= names
