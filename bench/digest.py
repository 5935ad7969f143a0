"""Digest rendering time and memory at 1,000 and 10,000 cases, against a bare Jinja loop over the same cases.

    python bench/digest.py [--sizes 1000,10000] [--format html]

Builds synthetic ``Case`` records in memory (several outlets, tactics with evidence, every
penalty kind, organizations and places from a large pool so the index grows with the period),
then times ``render_digest`` per size in the same run. Prints seconds, cases per second, the
time ratio between the largest and smallest size (linear is 10x for 1k -> 10k; target <= 12x),
each size's peak traced memory, and the ratio to a bare template that only lists headlines and links.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin.records import Case, Digest, Extraction, Finding, SourceLink  # noqa: E402
from digest.filters import TACTIC_WORDS  # noqa: E402
from digest.render import make_env, render_digest  # noqa: E402

logger = logging.getLogger(__name__)

SOURCES = ("globaltimes", "chinadaily", "xinhua", "doj", "taipeitimes", "prosecutors")
SURNAMES = ("Feng", "Jiang", "Liu", "Chen", "Wang", "Li", "Zhao", "Huang", "Smith", "Doe", "Lee", "Park")
PENALTIES = (
    {"kind": "imprisonment", "months": 66},
    {"kind": "imprisonment"},
    {"kind": "life_imprisonment"},
    {"kind": "death_sentence"},
    {"kind": "death_with_reprieve", "reprieve_months": 24},
    {"kind": "political_rights_deprivation", "months": 36},
    {"kind": "political_rights_deprivation", "for_life": True},
    {"kind": "asset_confiscation", "amount": 500000, "currency": "CNY", "usd": 68607},
    {"kind": "fine", "amount": 250000, "currency": "USD"},
    {"kind": "forfeiture", "amount": 1200000, "currency": "TWD", "usd": 37000},
    {"kind": "probation", "months": 24},
    {"kind": "supervised_release", "months": 36},
)
BARE = """<!DOCTYPE html><html><body>{% for case in cases %}
<h3>{{ case.headline }}</h3>
<p>{% for link in case.links %}<a href="{{ link.url }}">{{ link.source }}</a> {% endfor %}</p>
{% endfor %}</body></html>"""


def synthetic_cases(n: int, seed: int) -> tuple[Case, ...]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    labels = list(TACTIC_WORDS)
    cases = []
    for i in range(n):
        when = start + timedelta(minutes=rng.randrange(60 * 24 * 7))
        people = rng.sample(SURNAMES, rng.randint(1, 3))
        outlets = rng.sample(SOURCES, rng.randint(1, 3))
        cases.append(
            Case(
                story_id=seed * 1_000_000 + i,
                headline=f"Case {i}: former employee {people[0]} sentenced for leaking <secrets> & data",
                published_at=when,
                links=tuple(
                    SourceLink(s, f"https://{s}.example/{i}/story.html", f"Story {i} on {s}", when)
                    for s in outlets
                ),
                extraction=Extraction(
                    id=str(i),
                    relevant=True,
                    subjects=tuple(people),
                    entities=(
                        Finding("entity", "ORG", f"Research Institute {rng.randrange(n // 4 + 1)}", 0, 10),
                        Finding("entity", "ORG", "Ministry of State Security", 0, 10),
                        Finding("entity", "GPE", f"City {rng.randrange(200)}", 0, 10),
                        Finding("entity", "NORP", "Chinese", 0, 10),
                    ),
                    tactics=tuple(
                        Finding("tactic", label, f"evidence sentence for {label} in case {i}", 0, 40)
                        for label in rng.sample(labels, rng.randint(1, 4))
                    ),
                    penalties=tuple(
                        {"person": person, **rng.choice(PENALTIES)} for person in people for _ in range(2)
                    ),
                    laws=(Finding("law", "LAW", "Article 110 of the Criminal Law", 0, 30),),
                ),
                reviewed=rng.random() < 0.1,
            )
        )
    return tuple(cases)


def make_digest(n: int) -> Digest:
    return Digest(
        period="custom",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 8, tzinfo=UTC),
        generated_at=datetime(2026, 11, 8, 6, tzinfo=UTC),
        cases=synthetic_cases(n, seed=1),
        previous=synthetic_cases(n, seed=2),
        failed_sources=("prosecutors",),
    )


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--format", default="html", choices=("html", "txt", "md", "atom"))
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size; the best is kept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    env = make_env()
    bare = env.from_string(BARE)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    render_digest(make_digest(10), args.format, env)  # compile the templates outside the timings

    results = {}
    for n in sizes:
        digest = make_digest(n)
        ours = best_of(args.runs, lambda d=digest: render_digest(d, args.format, env))
        floor = best_of(args.runs, lambda d=digest: bare.render(cases=d.cases))
        size = len(render_digest(digest, args.format, env).encode("utf-8"))
        peak = peak_mib(lambda d=digest: render_digest(d, args.format, env))
        results[n] = ours
        print(
            f"{n:6d} cases: {ours:7.3f} s  ({n / ours:8.0f} cases/s)  output {size / 2**20:6.1f} MiB  "
            f"peak traced {peak:7.1f} MiB  bare loop {floor:6.3f} s  (ours/bare {ours / floor:5.1f}x)"
        )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        ratio = results[large] / results[small]
        print(
            f"time ratio {large}/{small} cases: {ratio:.2f}x "
            f"(linear {large / small:.0f}x; target <= {1.2 * large / small:.0f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
