"""Fixture digests: a day with many penalty kinds, a multi-outlet story, a hostile headline; an empty day.

Both are daily digests, which select by arrival: ``stored_from``/``stored_until`` is the window
of first-stored times, and each case says when it reached the archive. ``report`` is the same
cases as a custom since/until report, which selects by publication date.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bulletin.records import Case, Digest, Extraction, Finding, SourceLink

BEIJING = timezone(timedelta(hours=8))
WASHINGTON = timezone(timedelta(hours=-5))
EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "expected"
SCRIPT = "<script>alert(1)</script>"


def tactic(label: str, evidence: str) -> Finding:
    return Finding("tactic", label, evidence, 0, len(evidence))


def entity(text: str, label: str) -> Finding:
    return Finding("entity", label, text, 0, len(text))


def law(text: str) -> Finding:
    return Finding("law", "LAW", text, 0, len(text))


def prc_case() -> Case:
    """One story carried by three outlets; CNY confiscation with and without a USD equivalent."""
    published = datetime(2026, 11, 26, 9, 30, tzinfo=BEIJING)
    return Case(
        story_id=101,
        headline="Retired insider Feng jailed for selling industry secrets to foreign spy agency",
        published_at=published,
        links=(
            SourceLink(
                "globaltimes", "https://www.globaltimes.cn/page/202611/1.shtml", "Feng jailed", published
            ),
            SourceLink(
                "chinadaily", "https://www.chinadaily.com.cn/a/202611/26/2.html", "Two jailed", published
            ),
            SourceLink("xinhua", "https://english.news.cn/20261126/3/c.html", "MSS case", None),
        ),
        extraction=Extraction(
            id="gt-1",
            relevant=True,
            subjects=("Feng", "Jiang"),
            entities=(
                entity("the Ministry of State Security", "ORG"),
                entity("China", "GPE"),
                entity("Ministry of State Security", "ORG"),
            ),
            tactics=(
                tactic("financial_inducement", 'offered him a high "consulting fee"'),
                tactic("emotional_manipulation", "showed affection and cared about his life"),
                tactic("financial_inducement", "paid tens of thousands of yuan"),
                tactic("contract_packaging", "signed a consulting contract"),
            ),
            penalties=(
                {"person": "Feng", "kind": "imprisonment", "months": 72},
                {"person": "Feng", "kind": "political_rights_deprivation", "months": 24},
                {
                    "person": "Feng",
                    "kind": "asset_confiscation",
                    "amount": 500000,
                    "currency": "CNY",
                    "usd": 68607,
                },
                {"person": "Jiang", "kind": "asset_confiscation", "amount": 500000, "currency": "CNY"},
                {"person": "Jiang", "kind": "imprisonment", "months": 66},
                {"person": "Jiang", "kind": "political_rights_deprivation", "months": 24},
            ),
            laws=(
                law("Article 7 of the Counter-Espionage Law"),
                law("Guarding State Secrets Law Article 46"),
            ),
        ),
        reviewed=True,
    )


def us_case() -> Case:
    published = datetime(2026, 11, 25, 14, 5, tzinfo=WASHINGTON)
    return Case(
        story_id=202,
        headline="Former Army intelligence analyst sentenced for selling national defense information",
        published_at=published,
        links=(
            SourceLink(
                "doj",
                "https://www.justice.gov/opa/pr/former-army-analyst-sentenced",
                "Analyst sentenced",
                published,
            ),
        ),
        extraction=Extraction(
            id="doj-1",
            relevant=True,
            subjects=("John Doe",),
            entities=(entity("FBI", "ORG"), entity("United States", "GPE"), entity("Chinese", "NORP")),
            tactics=(
                tactic("online_approach", "met the handler via a social media platform"),
                tactic("voluntary_offer", "offered to sell classified documents"),
            ),
            penalties=(
                {"person": "John Doe", "kind": "imprisonment", "months": 48},
                {"person": "John Doe", "kind": "supervised_release", "months": 36},
                {"person": "John Doe", "kind": "fine", "amount": 10000, "currency": "USD"},
                {"person": "John Doe", "kind": "forfeiture", "amount": 42500.5, "currency": "USD"},
            ),
            laws=(law("18 U.S.C. § 794"),),
        ),
    )


def severe_case() -> Case:
    """Death with reprieve, life, death, political rights for life."""
    published = datetime(2026, 11, 26, 0, 0, tzinfo=BEIJING)
    return Case(
        story_id=303,
        headline="Three former officials sentenced for espionage",
        published_at=published,
        links=(
            SourceLink("chinadaily", "https://www.chinadaily.com.cn/a/202611/26/4.html", "Three", published),
        ),
        extraction=Extraction(
            id="cd-4",
            relevant=True,
            subjects=("Wang", "Li", "Zhao"),
            entities=(entity("Ministry of State Security", "ORG"), entity("Beijing", "GPE")),
            tactics=(tactic("insider_exploitation", "took advantage of his position"),),
            penalties=(
                {"person": "Wang", "kind": "death_with_reprieve", "reprieve_months": 24},
                {"person": "Wang", "kind": "political_rights_deprivation", "for_life": True},
                {"person": "Wang", "kind": "asset_confiscation"},
                {"person": "Li", "kind": "life_imprisonment"},
                {"person": "Li", "kind": "political_rights_deprivation", "for_life": True},
                {"person": "Zhao", "kind": "death_sentence"},
            ),
            laws=(law("Article 110 of the Criminal Law"),),
        ),
    )


def hostile_case() -> Case:
    """Scraped strings that try HTML and Markdown injection, and a link that is not http(s)."""
    published = datetime(2026, 11, 26, 18, 45, tzinfo=BEIJING)
    headline = f"{SCRIPT} Taiwan *court* jails [ex-officer](javascript:alert(2)) _for_ `leaks`"
    return Case(
        story_id=404,
        headline=headline,
        published_at=published,
        links=(
            SourceLink(
                "taipeitimes", "https://www.taipeitimes.com/News/taiwan/archives/2026/11/26/5", headline, None
            ),
            SourceLink("mirror", "javascript:alert(3)", "mirror copy", None),
        ),
        extraction=Extraction(
            id="tt-5",
            relevant=True,
            subjects=("Huang <b>Wei</b>",),
            entities=(entity("Taiwan", "GPE"), entity("<img src=x onerror=alert(4)>", "ORG")),
            tactics=(tactic("blackmail_coercion", f"threatened to expose him {SCRIPT}"),),
            penalties=(
                {"person": "Huang <b>Wei</b>", "kind": "imprisonment"},
                {"person": "Huang <b>Wei</b>", "kind": "probation", "months": 24},
                {
                    "person": "Huang <b>Wei</b>",
                    "kind": "fine",
                    "amount": 1000000,
                    "currency": "TWD",
                    "usd": 31000,
                },
            ),
        ),
    )


def previous_cases() -> tuple[Case, ...]:
    start = datetime(2026, 11, 25, 10, 0, tzinfo=BEIJING)

    def case(story_id: int, labels: tuple[str, ...]) -> Case:
        return Case(
            story_id=story_id,
            headline=f"Earlier case {story_id}",
            published_at=start,
            links=(
                SourceLink("globaltimes", f"https://www.globaltimes.cn/page/{story_id}.shtml", "x", start),
            ),
            extraction=Extraction(
                id=str(story_id), relevant=True, tactics=tuple(tactic(label, label) for label in labels)
            ),
        )

    return (
        case(91, ("financial_inducement", "online_approach")),
        case(92, ("online_approach", "false_identity")),
    )


PERIOD_START = datetime(2026, 11, 26, tzinfo=BEIJING)
PERIOD_END = datetime(2026, 11, 27, tzinfo=BEIJING)
GENERATED = datetime(2026, 11, 27, 7, 0, tzinfo=BEIJING)
# The previous digest ran at 07:00 on the 26th, this one at 07:00 on the 27th (stored in UTC).
STORED_FROM = datetime(2026, 11, 25, 23, 0, 12, tzinfo=UTC)
STORED_UNTIL = datetime(2026, 11, 26, 23, 2, 40, tzinfo=UTC)


def arrived(case: Case, hours: float) -> Case:
    """The case as the store gives it: first stored ``hours`` after the window opened."""
    stored = STORED_FROM + timedelta(hours=hours)
    return dataclasses.replace(case, first_stored_at=stored, updated_at=stored + timedelta(minutes=3))


def day_cases() -> tuple[Case, ...]:
    return (
        arrived(prc_case(), 3.5),
        arrived(us_case(), 1),
        arrived(severe_case(), 2),
        arrived(hostile_case(), 12),
    )


@pytest.fixture
def digest() -> Digest:
    return Digest(
        period="daily",
        start=PERIOD_START,
        end=PERIOD_END,
        generated_at=GENERATED,
        cases=day_cases(),
        previous=previous_cases(),
        failed_sources=("prosecutors",),
        stored_from=STORED_FROM.astimezone(BEIJING),
        stored_until=STORED_UNTIL.astimezone(BEIJING),
    )


@pytest.fixture
def empty_digest() -> Digest:
    return Digest(
        period="daily",
        start=PERIOD_START,
        end=PERIOD_END,
        generated_at=GENERATED,
        previous=previous_cases(),
        stored_from=STORED_FROM.astimezone(BEIJING),
        stored_until=STORED_UNTIL.astimezone(BEIJING),
    )


@pytest.fixture
def report() -> Digest:
    """A custom report of two weeks: selected by publication date, no arrival window."""
    return Digest(
        period="custom",
        start=datetime(2026, 11, 16, tzinfo=BEIJING),
        end=PERIOD_END,
        generated_at=GENERATED,
        cases=day_cases(),
    )
