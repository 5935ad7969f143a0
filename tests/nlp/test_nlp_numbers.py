"""Number words, durations and money amounts."""

from __future__ import annotations

import pytest

from nlp.numbers import find_money, parse_duration, parse_number


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("six years", 72),
        ("five years and six months", 66),
        ("two years and three months", 27),
        ("a 10-year", 120),
        ("48 months", 48),
        ("one and a half years", 18),
        ("five and a half years", 66),
        ("a year and a half", 18),
        ("two-year", 24),
        ("a two-year", 24),
        ("twenty-five years", 300),
        ("12 years'", 144),
    ],
)
def test_parse_duration(text: str, months: int) -> None:
    assert parse_duration(text) == months


@pytest.mark.parametrize(("text", "value"), [("six", 6), ("twenty-one", 21), ("1,200", 1200), ("x", None)])
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "amount", "currency", "usd"),
    [
        ("500,000 yuan ($68,607)", 500000, "CNY", 68607),
        ("1.2 million yuan", 1200000, "CNY", None),
        ("RMB 300,000", 300000, "CNY", None),
        ("\u00a550,000", 50000, "CNY", None),
        ("$250,000", 250000, "USD", None),
        ("US$1.5 million", 1500000, "USD", None),
        ("NT$3.2 million (US$100,000)", 3200000, "TWD", 100000),
        ("\u00a310,000", 10000, "GBP", None),
        ("tens of thousands of yuan", None, "CNY", None),
    ],
)
def test_find_money(text: str, amount: float | None, currency: str, usd: float | None) -> None:
    (money,) = find_money(text)
    assert (money.amount, money.currency, money.usd) == (amount, currency, usd)
    assert text[money.start : money.end].strip()
