"""Penalty wording for every taxonomy kind, money and durations, and the escaping filters."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.filters import (
    duration,
    md,
    md_url,
    money,
    oneline,
    penalty_words,
    person_penalties,
    safe_url,
    tactic_words,
)


@pytest.mark.parametrize(
    ("penalty", "words"),
    [
        ({"kind": "imprisonment", "months": 72}, "6 years in prison"),
        ({"kind": "imprisonment", "months": 66}, "5 years 6 months in prison"),
        ({"kind": "imprisonment", "months": 13}, "1 year 1 month in prison"),
        ({"kind": "imprisonment", "months": 8}, "8 months in prison"),
        ({"kind": "imprisonment"}, "time served"),
        ({"kind": "life_imprisonment"}, "life in prison"),
        ({"kind": "death_sentence"}, "death sentence"),
        ({"kind": "death_with_reprieve", "reprieve_months": 24}, "death sentence (2-year reprieve)"),
        ({"kind": "death_with_reprieve", "reprieve_months": 18}, "death sentence (18-month reprieve)"),
        ({"kind": "death_with_reprieve"}, "death sentence with reprieve"),
        ({"kind": "political_rights_deprivation", "months": 24}, "political rights 2 years"),
        ({"kind": "political_rights_deprivation", "for_life": True}, "political rights for life"),
        ({"kind": "political_rights_deprivation"}, "political rights deprived"),
        (
            {"kind": "asset_confiscation", "amount": 500000, "currency": "CNY", "usd": 68607},
            "assets ¥500,000 ($68,607) confiscated",
        ),
        (
            {"kind": "asset_confiscation", "amount": 1200000.0, "currency": "CNY"},
            "assets ¥1,200,000 confiscated",
        ),
        ({"kind": "asset_confiscation"}, "assets confiscated"),
        ({"kind": "fine", "amount": 10000, "currency": "USD"}, "fine $10,000"),
        ({"kind": "fine", "amount": 10000, "currency": "USD", "usd": 10000}, "fine $10,000"),
        ({"kind": "fine", "amount": 1000000, "currency": "TWD", "usd": 31000}, "fine NT$1,000,000 ($31,000)"),
        ({"kind": "fine", "amount": 5000, "currency": "GBP"}, "fine £5,000"),
        ({"kind": "fine", "amount": 2500.5, "currency": "EUR"}, "fine €2,500.50"),
        ({"kind": "fine", "amount": 50000, "currency": "HKD"}, "fine HKD 50,000"),
        ({"kind": "fine", "amount": 700}, "fine 700"),
        ({"kind": "fine"}, "fine"),
        ({"kind": "forfeiture", "amount": 250000, "currency": "USD"}, "forfeiture $250,000"),
        ({"kind": "forfeiture"}, "forfeiture"),
        ({"kind": "probation", "months": 24}, "probation 2 years"),
        ({"kind": "probation"}, "probation"),
        ({"kind": "supervised_release", "months": 36}, "supervised release 3 years"),
        ({"kind": "supervised_release"}, "supervised release"),
        ({"kind": "deportation", "months": 12}, "deportation 1 year"),
    ],
)
def test_penalty_words(penalty, words):
    assert penalty_words(penalty) == words


def test_person_penalties_group_per_person_most_severe_first():
    penalties = [
        {"person": "Feng", "kind": "asset_confiscation", "amount": 500000, "currency": "CNY", "usd": 68607},
        {"person": "Jiang", "kind": "imprisonment", "months": 66},
        {"person": "Feng", "kind": "political_rights_deprivation", "months": 24},
        {"person": "Feng", "kind": "imprisonment", "months": 72},
        {"kind": "fine", "amount": 100, "currency": "USD"},
    ]
    assert person_penalties(penalties) == [
        ("Feng", "6 years in prison · political rights 2 years · assets ¥500,000 ($68,607) confiscated"),
        ("Jiang", "5 years 6 months in prison"),
        ("Unnamed person", "fine $100"),
    ]


@pytest.mark.parametrize(("months", "words"), [(0, ""), (None, ""), (True, ""), ("12", ""), (12, "1 year")])
def test_duration_ignores_what_is_not_a_count_of_months(months, words):
    assert duration(months) == words


def test_money_without_currency_or_with_bad_usd():
    assert money(1500000) == "1,500,000"
    assert money(10, "cny", "n/a") == "¥10"
    assert money(12.5, "usd", 12.5) == "$12.50"


def test_tactic_words_plain_for_known_and_sanitised_for_unknown():
    assert tactic_words("financial_inducement") == "financial inducement"
    assert tactic_words("Honey_Trap<script>") == "honey trapscript"
    assert tactic_words("<>") == "other"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://www.justice.gov/opa/pr/x", "https://www.justice.gov/opa/pr/x"),
        ("HTTP://example.org/a", "HTTP://example.org/a"),
        ("javascript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("//example.org/a", ""),
        ("https:///nohost", ""),
        ("http://[::1", ""),
    ],
)
def test_safe_url_keeps_only_http(url, safe):
    assert safe_url(url) == safe


def test_md_url_cannot_close_the_link():
    assert md_url("https://x.org/a b)(c<d>") == "https://x.org/a%20b%29%28c%3Cd%3E"
    assert md_url("javascript:alert(1)") == ""


def test_md_escapes_markup():
    assert md("<b>*x*</b> [a](b) `c` _d_ | e") == r"\<b\>\*x\*\</b\> \[a\](b) \`c\` \_d\_ \| e"
    assert md("line\nbreak\x00") == "line break"


@given(st.text())
def test_md_leaves_no_markup_character_unescaped(text):
    escaped = md(text)
    assert "\n" not in escaped
    # Drop escaped pairs; whatever markup character remains was not escaped.
    bare = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[\\`*_\[\]<>#|~&!]", bare)


@given(st.text())
def test_oneline_has_no_control_characters(text):
    assert not re.search(r"[\x00-\x1f\x7f]", oneline(text))
