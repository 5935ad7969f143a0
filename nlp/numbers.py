"""Parse number words, sentence durations and money amounts as bulletins write them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_UNITS = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

# One number as written: digits (with separators) or English words, optionally "and a half".
_WORD = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_TENS_RE = "|".join(_TENS)
_DIGIT_WORD = "one|two|three|four|five|six|seven|eight|nine"
NUMBER = (
    rf"(?:\d[\d,]*(?:\.\d+)?|(?:{_TENS_RE})(?:[- ](?:{_DIGIT_WORD}))?\b|(?:{_WORD})\b)"
    r"(?:\s+and\s+(?:a\s+)?half)?"
)

_UNIT = r"(?P<unit>years?|yrs?|months?|weeks?|days?)"
_YEAR_MONTH = re.compile(
    rf"(?P<n1>{NUMBER})[\s-]+(?P<u1>years?|yrs?|months?)(?:['\u2019]s?)?"
    rf"(?:\s*(?:,\s*)?(?:and\s+)?(?P<n2>{NUMBER})[\s-]+(?P<u2>months?))?"
    r"(?:\s+and\s+a\s+half)?",
    re.I,
)
_HALF_TAIL = re.compile(r"\s+and\s+a\s+half$", re.I)


def parse_number(text: str) -> float | None:
    """Value of a number written in digits or English words, or None when it is not one."""
    s = text.strip().lower().replace("\u2013", "-")
    if not s:
        return None
    half = 0.0
    m = re.search(r"\s+and\s+(?:a\s+)?half$", s)
    if m:
        half = 0.5
        s = s[: m.start()].strip()
    if s in ("half", "half a"):
        return 0.5
    if re.fullmatch(r"\d[\d,]*(?:\.\d+)?", s):
        try:
            return float(s.replace(",", "")) + half
        except ValueError:
            return None
    total = 0.0
    current = 0.0
    seen = False
    for word in re.split(r"[\s-]+", s):
        if word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total += current
                current = 0
        else:
            try:
                current += float(word.replace(",", ""))
            except ValueError:
                return None
        seen = True
    if not seen:
        return None
    return total + current + half


def _to_months(value: float, unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("y"):
        return value * 12
    if unit.startswith("m"):
        return value
    if unit.startswith("w"):
        return value * 12 / 52
    return value * 12 / 365


def parse_duration(text: str) -> int | None:
    """Months in a duration such as "five years and six months", "a 10-year", "48 months"."""
    m = _YEAR_MONTH.search(text)
    if not m:
        return None
    n1 = parse_number(m.group("n1"))
    if n1 is None:
        return None
    months = _to_months(n1, m.group("u1"))
    if m.group("n2"):
        n2 = parse_number(m.group("n2"))
        if n2 is not None:
            months += n2
    if _HALF_TAIL.search(m.group(0)) and not m.group("n2"):
        # "a year and a half": the half belongs to the unit just read.
        months += _to_months(0.5, m.group("u1"))
    return round(months)


DURATION = (
    rf"(?:{NUMBER})[\s-]+(?:years?|yrs?|months?)(?:['\u2019]s?)?"
    rf"(?:\s*(?:,\s*)?(?:and\s+)?(?:{NUMBER})[\s-]+months?)?"
    r"(?:\s+and\s+a\s+half)?"
)

# Currency markers, longest first so "US$" wins over "$".
_PREFIX_CURRENCIES = [
    ("US$", "USD"),
    ("US $", "USD"),
    ("USD", "USD"),
    ("NT$", "TWD"),
    ("NTD", "TWD"),
    ("HK$", "HKD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("AUD", "AUD"),
    ("KRW", "KRW"),
    ("TWD", "TWD"),
    ("JPY", "JPY"),
    ("\u20a9", "KRW"),
    ("C$", "CAD"),
    ("S$", "SGD"),
    ("RMB", "CNY"),
    ("CNY", "CNY"),
    ("GBP", "GBP"),
    ("EUR", "EUR"),
    ("$", "USD"),
    ("\u00a3", "GBP"),
    ("\u20ac", "EUR"),
    ("\u00a5", "CNY"),
    ("\uffe5", "CNY"),
]
_SUFFIX_CURRENCIES = [
    ("new taiwan dollars", "TWD"),
    ("taiwan dollars", "TWD"),
    ("nt dollars", "TWD"),
    ("hong kong dollars", "HKD"),
    ("us dollars", "USD"),
    ("u.s. dollars", "USD"),
    ("australian dollars", "AUD"),
    ("canadian dollars", "CAD"),
    ("south korean won", "KRW"),
    ("korean won", "KRW"),
    ("won", "KRW"),
    ("dollars", "USD"),
    ("yuan", "CNY"),
    ("renminbi", "CNY"),
    ("rmb", "CNY"),
    ("cny", "CNY"),
    ("pounds sterling", "GBP"),
    ("pounds", "GBP"),
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("yen", "JPY"),
    ("krw", "KRW"),
    ("aud", "AUD"),
    ("eur", "EUR"),
    ("usd", "USD"),
    ("twd", "TWD"),
    ("gbp", "GBP"),
]
_SCALE_WORDS = r"(?:\s*(?:million|billion|thousand|mln|bn|m)\b)?"
_AMOUNT = rf"(?:\d[\d,]*(?:\.\d+)?|{_WORD}){_SCALE_WORDS}"
_PREFIX_RE = "|".join(re.escape(p) for p, _ in _PREFIX_CURRENCIES)
_SUFFIX_RE = "|".join(re.escape(s) for s, _ in _SUFFIX_CURRENCIES)
MONEY = re.compile(
    rf"(?P<prefix>{_PREFIX_RE})\s?(?P<amount_a>{_AMOUNT})(?:\s+(?:{_SUFFIX_RE})\b)?"
    rf"|(?P<amount_b>{_AMOUNT})\s+(?P<suffix>{_SUFFIX_RE})\b",
    re.I,
)
# "tens of thousands of yuan", "hundreds of thousands of dollars": an amount with no number.
VAGUE_MONEY = re.compile(
    rf"\b(?:tens|hundreds|thousands|millions)\s+of\s+(?:thousands\s+of\s+|millions\s+of\s+)?"
    rf"(?P<suffix>{_SUFFIX_RE})\b",
    re.I,
)
_USD_NOTE = re.compile(
    r"\s*\(\s*(?:about|around|approximately|roughly|some|nearly|over|almost|or\s+)?\s*"
    r"(?:US\s?\$|\$|USD\s?)\s?(?P<amount>\d[\d,]*(?:\.\d+)?(?:\s*(?:million|billion))?)"
    r"(?:\s*(?:US\s+)?dollars)?\s*\)",
    re.I,
)


_BIG_AMOUNT = re.compile(r",\d{3}|\b(?:million|billion|thousand|mln|bn|m)\b", re.I)


@dataclass(frozen=True, slots=True)
class Money:
    """One money amount found in text, with its character span and any stated USD value."""

    amount: float | None
    currency: str | None
    usd: float | None
    start: int
    end: int


def _amount_value(text: str) -> float | None:
    m = re.fullmatch(
        rf"\s*(?P<num>\d[\d,]*(?:\.\d+)?|{_WORD})\s*(?P<scale>million|billion|thousand|mln|bn|m)?\s*",
        text,
        re.I,
    )
    if not m:
        return None
    value = parse_number(m.group("num"))
    if value is None:
        return None
    scale = (m.group("scale") or "").lower()
    factor = {"million": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3}
    return value * factor.get(scale, 1)


def _currency(marker: str, table: list[tuple[str, str]]) -> str | None:
    low = marker.lower().replace("  ", " ")
    for key, code in table:
        if low == key.lower():
            return code
    return None


def _clean(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def find_money(text: str) -> list[Money]:
    """Every money amount in text, left to right; vague amounts have amount None."""
    found: list[Money] = []
    covered = 0
    for m in MONEY.finditer(text):
        if m.start() < covered:
            continue  # the USD equivalent in brackets after an amount already read
        if m.group("prefix"):
            amount = _amount_value(m.group("amount_a"))
            currency = _currency(m.group("prefix").replace(" ", ""), _PREFIX_CURRENCIES) or (
                _currency(m.group("prefix"), _PREFIX_CURRENCIES)
            )
        else:
            amount = _amount_value(m.group("amount_b"))
            currency = _currency(m.group("suffix"), _SUFFIX_CURRENCIES)
            if m.group("suffix").lower() == "won" and not _BIG_AMOUNT.search(m.group("amount_b")):
                continue  # "in 2019 won a contract": the verb, not the currency
        if amount is None:
            continue
        usd = None
        end = m.end()
        note = _USD_NOTE.match(text, end)
        if note and currency != "USD":
            usd = _amount_value(note.group("amount"))
            end = note.end()
        covered = end
        found.append(Money(_clean(amount), currency, _clean(usd) if usd else None, m.start(), end))
    for m in VAGUE_MONEY.finditer(text):
        if not any(f.start <= m.start() < f.end for f in found):
            currency = _currency(m.group("suffix"), _SUFFIX_CURRENCIES)
            found.append(Money(None, currency, None, m.start(), m.end()))
    found.sort(key=lambda f: f.start)
    return found
