"""Jinja filters that turn record values into plain words and make scraped strings safe to show."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

logger = logging.getLogger(__name__)

# The taxonomy's tactic labels in the words an analyst would use (taxonomy.md).
TACTIC_WORDS = {
    "financial_inducement": "financial inducement",
    "emotional_manipulation": "emotional manipulation",
    "blackmail_coercion": "blackmail or coercion",
    "contract_packaging": "business-contract cover",
    "project_collaboration": "project or exchange cover",
    "online_approach": "online approach",
    "false_identity": "false identity",
    "insider_exploitation": "insider access",
    "covert_communication": "covert communication",
    "proxy_recruitment": "recruiting others",
    "voluntary_offer": "volunteered to spy",
}

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "GBP": "£", "TWD": "NT$", "EUR": "€"}

# Most severe first, so a person's line reads like the judgment: custody, then the rest.
PENALTY_ORDER = (
    "death_sentence",
    "death_with_reprieve",
    "life_imprisonment",
    "imprisonment",
    "probation",
    "supervised_release",
    "political_rights_deprivation",
    "asset_confiscation",
    "fine",
    "forfeiture",
)

UNNAMED = "Unnamed person"

# Money taken rather than a term imposed: on its own and without an amount, not a sentence.
SEIZURE_KINDS = frozenset({"asset_confiscation", "forfeiture"})
_NOT_SENTENCE = re.compile(
    r"\b(?:rewards?|rewarded|bount(?:y|ies)|up to|maximum|faces?|facing|punishable|sought|seeks?|seeking)\b",
    re.IGNORECASE,
)
# RFC 3986 pchar plus "/" and "?": what the specific part of a tag URI (RFC 4151) may hold.
_TAG_SAFE = "/?:@!$&'()*+,;=-._~%"

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_WS = re.compile(r"\s+")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can
# start markup (links, images, emphasis, code, raw HTML, tables, headings, entities).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")
_SAFE_LABEL = re.compile(r"[^a-z0-9 -]+")


def oneline(value: object) -> str:
    """Whitespace collapsed to single spaces, control characters dropped (they break text and XML)."""
    return _WS.sub(" ", _CONTROL.sub("", str(value))).strip()


def md(value: object) -> str:
    """Scraped text made inert for Markdown: on one line, every markup character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", oneline(value))


def safe_url(value: object) -> str:
    """The URL when it is http(s) with a host, else "" (so it is never used as a link)."""
    url = oneline(value)
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    return url


def md_url(value: object) -> str:
    """A safe URL percent-encoded so it cannot close a Markdown link: "" when not http(s)."""
    url = safe_url(value)
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]") if url else ""


def tactic_words(label: object) -> str:
    """A tactic label in plain words; unknown labels are de-underscored and stripped to plain letters."""
    text = str(label)
    if text in TACTIC_WORDS:
        return TACTIC_WORDS[text]
    return _SAFE_LABEL.sub("", text.lower().replace("_", " ")).strip() or "other"


def duration(months: object) -> str:
    """``66`` -> "5 years 6 months"; "" when there is no positive whole number of months."""
    count = _months(months)
    if not count:
        return ""
    years, rest = divmod(count, 12)
    parts = []
    if years:
        parts.append(f"{years} year" + ("s" if years != 1 else ""))
    if rest:
        parts.append(f"{rest} month" + ("s" if rest != 1 else ""))
    return " ".join(parts)


def money(amount: object, currency: object = None, usd: object = None) -> str:
    """``500000, "CNY", 68607`` -> "¥500,000 ($68,607)"; ISO code for currencies without a symbol."""
    text = _number(amount)
    code = oneline(currency).upper() if currency else ""
    if code in CURRENCY_SYMBOLS:
        text = CURRENCY_SYMBOLS[code] + text
    elif code:
        text = f"{code} {text}"
    # A USD equivalent only when the record has a number for it, and not beside a USD amount.
    if isinstance(usd, int | float) and not isinstance(usd, bool) and code != "USD":
        text += f" (${_number(usd)})"
    return text


def penalty_words(penalty: Mapping[str, Any]) -> str:
    """One penalty in plain words, without the person: "6 years in prison", "fine $10,000"…"""
    kind = penalty.get("kind", "")
    months = duration(penalty.get("months"))
    amount = penalty.get("amount")
    cash = money(amount, penalty.get("currency"), penalty.get("usd")) if amount is not None else ""
    match kind:
        case "imprisonment":
            # The taxonomy omits months for "time served".
            return f"{months} in prison" if months else "time served"
        case "life_imprisonment":
            return "life in prison"
        case "death_sentence":
            return "death sentence"
        case "death_with_reprieve":
            reprieve = _reprieve(penalty.get("reprieve_months"))
            return f"death sentence ({reprieve} reprieve)" if reprieve else "death sentence with reprieve"
        case "political_rights_deprivation":
            if penalty.get("for_life"):
                return "political rights for life"
            return f"political rights {months}" if months else "political rights deprived"
        case "asset_confiscation":
            return f"assets {cash} confiscated" if cash else "assets confiscated"
        case "fine":
            return f"fine {cash}" if cash else "fine"
        case "forfeiture":
            return f"forfeiture {cash}" if cash else "forfeiture"
        case "probation":
            return f"probation {months}" if months else "probation"
        case "supervised_release":
            return f"supervised release {months}" if months else "supervised release"
    logger.debug("penalty kind %r has no wording; shown as its label", kind)
    words = tactic_words(kind) if kind else "penalty"
    return " ".join(w for w in (words, months, cash) if w)


def sentences_only(penalties: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The penalties that are sentences handed down, as the taxonomy defines penalties.

    Dropped: a penalty whose evidence reads as a reward, a bounty, a statutory maximum or
    a request ("a reward of up to $5 million", "faces up to 20 years", "prosecutors
    sought"), and a person's lone seizure with no amount ("the equipment was
    confiscated"), which is a police measure, not part of a judgment.
    """
    kept = [p for p in penalties if not _NOT_SENTENCE.search(oneline(p.get("evidence") or ""))]
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for penalty in kept:
        grouped.setdefault(oneline(penalty.get("person") or "").casefold(), []).append(penalty)
    seizures_only = {
        person
        for person, items in grouped.items()
        if all(p.get("kind") in SEIZURE_KINDS and p.get("amount") is None for p in items)
    }
    return [p for p in kept if oneline(p.get("person") or "").casefold() not in seizures_only]


def person_penalties(penalties: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Penalties grouped per person, in order of first mention: ``[("Feng", "6 years in prison · …")]``."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for penalty in penalties:
        person = oneline(penalty.get("person") or "") or UNNAMED
        grouped.setdefault(person, []).append(penalty)
    rank = {kind: i for i, kind in enumerate(PENALTY_ORDER)}
    lines = []
    for person, items in grouped.items():
        ordered = sorted(items, key=lambda p: rank.get(p.get("kind", ""), len(rank)))
        lines.append((person, " · ".join(penalty_words(p) for p in ordered)))
    return lines


def iso_date(value: datetime) -> str:
    """The date part in ISO form, in the value's own time zone."""
    return value.date().isoformat()


def local_time(value: datetime | None) -> str:
    """A publication time as given, with its UTC offset: "2026-11-26 09:30 (UTC+08:00)".

    Midnight is how a page that gave only a date is stored, so it shows as the bare date,
    without a zone nobody stated.
    """
    if value is None:
        return "date unknown"
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.date().isoformat()
    return exact_time(value)


def exact_time(value: datetime) -> str:
    """A time we know to the minute (ours, not a page's), always with its offset."""
    return value.strftime("%Y-%m-%d %H:%M") + _zone(value)


def time_range(start: datetime, end: datetime) -> str:
    """Two times in one zone: "2026-11-26 07:00 to 2026-11-27 07:02 (UTC+08:00)"."""
    return f"{start.strftime('%Y-%m-%d %H:%M')} to {end.strftime('%Y-%m-%d %H:%M')}{_zone(end)}"


def _zone(value: datetime) -> str:
    offset = value.strftime("%z")
    return f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""


def tag_uri(authority: str, url: object) -> str:
    """A tag URI (RFC 4151) naming ``url``: "tag:bulletin-watch,2026:https://…"."""
    return f"{authority}:{quote(oneline(url), safe=_TAG_SAFE)}"


def rfc3339(value: datetime) -> str:
    """An Atom timestamp; a naive time is taken as UTC, since Atom requires an offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def signed(value: int) -> str:
    """A change as "+2", "-1" or "±0"."""
    return f"{value:+d}" if value else "±0"


def bar(value: int, largest: int, width: int = 20) -> str:
    """A text bar ``value/largest`` of ``width`` blocks; a non-zero value always gets one block."""
    if value <= 0 or largest <= 0:
        return ""
    return "█" * max(1, round(value / largest * width))


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``3, "case"`` -> "3 cases"."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


FILTERS = {
    "oneline": oneline,
    "md": md,
    "safe_url": safe_url,
    "md_url": md_url,
    "tactic_words": tactic_words,
    "duration": duration,
    "money": money,
    "penalty_words": penalty_words,
    "person_penalties": person_penalties,
    "sentences_only": sentences_only,
    "iso_date": iso_date,
    "local_time": local_time,
    "exact_time": exact_time,
    "rfc3339": rfc3339,
    "signed": signed,
    "bar": bar,
    "plural": plural,
}


def _months(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def _reprieve(value: object) -> str:
    count = _months(value)
    if not count:
        return ""
    return f"{count // 12}-year" if count % 12 == 0 else f"{count}-month"


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return oneline(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
