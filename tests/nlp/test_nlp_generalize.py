"""Short articles of our own, worded unlike the fixtures, for the rules added to generalize:
name shapes the model misses, more currencies, elided and appealed penalties, suspensions."""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language

from nlp import extract
from nlp.numbers import find_money


def _one(nlp: Language, text: str) -> dict[str, Any]:
    (record,) = [r.to_json() for r in extract(nlp, [{"id": "t", "text": text}])]
    return record


def _penalties(record: dict[str, Any]) -> set[tuple[Any, ...]]:
    out = set()
    for p in record["penalties"]:
        value = p.get("months", p.get("amount", p.get("for_life")))
        out.add((p["person"], p["kind"], value, p.get("currency")))
    return out


def test_korean_name_and_won_fine(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "SEOUL (Yonhap) -- A district court on Monday sentenced Yoon Hae-jin, 52, a former radar "
        "engineer, to four years in prison and fined him 30 million won for handing classified "
        "radar specifications to a Chinese buyer in breach of national security law.",
    )
    assert record["subjects"] == ["Yoon Hae-jin"]
    assert ("Yoon Hae-jin", "imprisonment", 48, None) in _penalties(record)
    assert ("Yoon Hae-jin", "fine", 30_000_000, "KRW") in _penalties(record)


def test_german_privacy_names(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A court in Munich sentenced a 36-year-old engineer, identified only as Jonas K. under "
        "privacy laws, to three years in prison for spying for Russian intelligence. "
        "His accomplice, identified as Petra M., was fined 4,500 euros.",
    )
    assert record["subjects"] == ["Jonas K", "Petra M"]
    got = _penalties(record)
    assert ("Jonas K", "imprisonment", 36, None) in got
    assert ("Petra M", "fine", 4500, "EUR") in got


def test_elided_second_penalty(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Two former staff of a shipyard, Ma Qiang and Tian Lei, were convicted of selling state "
        "secrets to a foreign spy agency. Ma Qiang was jailed for nine years, and Tian Lei, 44, "
        "for six years and three months. Ma was also deprived of political rights for two years "
        "and Tian for one year.",
    )
    got = _penalties(record)
    assert ("Ma Qiang", "imprisonment", 108, None) in got
    assert ("Tian Lei", "imprisonment", 75, None) in got
    assert ("Tian Lei", "political_rights_deprivation", 12, None) in got


def test_appeal_term_in_force_replaces_first_instance(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A district court sentenced the technician, surnamed Hu, to eight years in prison in 2024 "
        "for leaking military secrets to a foreign intelligence agency. On appeal, the high court "
        "this week reduced Hu's term to six years, citing his confession.",
    )
    got = {p for p in _penalties(record) if p[1] == "imprisonment"}
    assert got == {("Hu", "imprisonment", 72, None)}


def test_suspension_is_not_probation_unless_named(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Ko Min-jun, a navy contractor, was sentenced to 18 months in prison, suspended for three "
        "years, for passing ship drawings to a Chinese firm, while his manager Seo Ji-woo was "
        "sentenced to one year in prison, suspended for two years with probation.",
    )
    got = _penalties(record)
    assert ("Ko Min-jun", "imprisonment", 18, None) in got
    assert not any(p[0] == "Ko Min-jun" and p[1] == "probation" for p in got)
    assert ("Seo Ji-woo", "probation", 24, None) in got


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("fined KRW 50 million", 50_000_000, "KRW"),
        ("a fine of \u20a9300 million", 300_000_000, "KRW"),
        ("ordered to pay A$12,000", 12_000, "AUD"),
        ("a penalty of 2,000 euro", 2_000, "EUR"),
        ("fined 1.5 billion won", 1_500_000_000, "KRW"),
    ],
)
def test_more_currencies(text: str, amount: float, currency: str) -> None:
    (money,) = find_money(text)
    assert (money.amount, money.currency) == (amount, currency)


def test_won_the_verb_is_not_money() -> None:
    assert find_money("In 2021 won a bid, and 300 won praise") == []


def test_insider_persuaded_by_subject_is_proxy_recruitment(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A court jailed Deng Rui for ten years for espionage. Deng Rui, who had been recruited by "
        "a foreign spy agency, later persuaded her to photograph the base's duty rosters, and drew "
        "two neighbours into the scheme.",
    )
    assert "proxy_recruitment" in {t["label"] for t in record["tactics"]}
