"""Case linking: precision and recall of links, and relink time at 1,000 and 10,000 stored articles.

    python bench/cases.py [--sizes 1000,10000] [--runs 3] [--skip-series]

1. The invented series of tests/fixtures/cases (three cases over two years, five outlets,
   name variants, three decoys surnamed Wang) and of tests/fixtures/cases_described (a
   surname and a role description a year after the arrest, the other word order, a namesake
   in another city and trade, co-defendants): the real pipeline extracts them, they are
   stored and relinked, and pairs of stories are scored against the gold cases (precision,
   recall), with the stage accuracy of each report (label, and label with date) where the
   gold gives it.
2. A synthetic archive per size: cases of one to five reports with the name forms real
   copy uses (full name, surname only, the other word order), an employer and a city per
   case drawn from large pools, generic agencies and countries everywhere, and surnames
   drawn from a skewed distribution (Wang, Li, Zhang... are common), stored as articles
   with extraction records in a SQLite file. ``relink`` (read, link, write) is timed per
   size in the same run, against a bare baseline that only reads the same rows and parses
   the records; the time ratio between the sizes is printed (linear is 10x for 1k -> 10k),
   with the pair precision and recall on the synthetic gold.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bulletin.cases import pair_score, relink  # noqa: E402
from bulletin.records import Article  # noqa: E402
from bulletin.store import Store  # noqa: E402

logger = logging.getLogger(__name__)

SERIES = ROOT / "tests" / "fixtures" / "cases"
# Reports that describe the person (role, employer, "detained last year") more than they name him.
DESCRIBED = ROOT / "tests" / "fixtures" / "cases_described"
# Family names with a skew like the real one (a few very common), and Western ones.
CHINESE = [
    *[
        "Wang",
        "Li",
        "Zhang",
        "Liu",
        "Chen",
        "Yang",
        "Huang",
        "Zhao",
        "Wu",
        "Zhou",
        "Xu",
        "Sun",
        "Ma",
        "Zhu",
        "Hu",
        "Guo",
        "He",
        "Gao",
        "Lin",
        "Luo",
        "Zheng",
        "Liang",
    ],
    *[
        "Xie",
        "Song",
        "Tang",
        "Han",
        "Feng",
        "Deng",
        "Cao",
        "Peng",
        "Zeng",
        "Xiao",
        "Tian",
        "Dong",
        "Yuan",
        "Pan",
        "Cai",
        "Jiang",
        "Yu",
        "Du",
        "Ye",
        "Cheng",
        "Wei",
    ],
    *["Su", "Lyu", "Ding", "Ren", "Shen"],
]
WESTERN = [
    *[
        "Smith",
        "Johnson",
        "Brown",
        "Miller",
        "Davis",
        "Lee",
        "Park",
        "Kim",
        "Nguyen",
        "Garcia",
        "Chan",
        "Leung",
        "Wong",
        "Tsai",
        "Hsu",
    ],
    *[
        "Novak",
        "Schmidt",
        "Wilson",
        "Taylor",
        "Moore",
        "Anderson",
        "Thomas",
        "Jackson",
        "White",
        "Harris",
        "Martin",
        "Clark",
    ],
]
# Chinese given names are mostly two syllables ("Haoran", "Yanjun"), so there are thousands.
SYLLABLES = [
    *[
        "wei",
        "lei",
        "jun",
        "ming",
        "hao",
        "jian",
        "ping",
        "yan",
        "hui",
        "qiang",
        "bo",
        "tao",
        "xin",
        "yong",
        "gang",
        "fang",
        "lin",
        "hong",
        "ran",
        "zhi",
    ],
    *[
        "hua",
        "guo",
        "li",
        "na",
        "jing",
        "mei",
        "yu",
        "xiao",
        "chen",
        "long",
        "feng",
        "tian",
        "yi",
        "kai",
        "rui",
        "bin",
        "peng",
        "jie",
        "qing",
        "shan",
    ],
]
GIVEN_WEST = [
    *[
        "John",
        "David",
        "Michael",
        "Kevin",
        "Peter",
        "Daniel",
        "Thomas",
        "Jason",
        "Kelvin",
        "Anna",
        "Maria",
        "Linda",
        "Eric",
        "Henry",
    ],
    *[
        "James",
        "Robert",
        "Mary",
        "Patricia",
        "Susan",
        "Mark",
        "Paul",
        "Steven",
        "Andrew",
        "Joshua",
        "Brian",
        "George",
        "Edward",
        "Laura",
    ],
]
STAGES = ("detention", "charge", "conviction", "sentencing", "appeal", "release")
GENERIC_ORGS = ("Ministry of State Security", "FBI", "Justice Department", "state security organs")
SOURCES = ("globaltimes", "chinadaily", "doj", "ecns", "courtwatch", "harbourpost")


def best_of_both(runs: int, fn: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best CPU time of this process over the runs: on a machine
    shared with other work the CPU time is the steadier of the two."""
    walls, cpus = [], []
    for _ in range(runs):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def skewed(rng: random.Random, names: list[str]) -> str:
    # Zipf-like: the k-th name drawn with weight 1/k.
    return rng.choices(names, weights=[1 / (k + 1) for k in range(len(names))])[0]


def synthetic_reports(articles: int, seed: int = 1) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(gold case, publication time, extraction record) per article, in no particular order."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    reports: list[tuple[str, datetime, dict[str, Any]]] = []
    case = 0
    while len(reports) < articles:
        case += 1
        western = rng.random() < 0.35
        family = skewed(rng, WESTERN if western else CHINESE)
        if western:
            given = rng.choice(GIVEN_WEST)
        else:
            syllables = rng.sample(SYLLABLES, 2 if rng.random() < 0.75 else 1)
            given = "".join(syllables).capitalize()
        full = f"{given} {family}" if western else f"{family} {given}"
        swapped = f"{family} {given}" if western else f"{given} {family}"
        kind = rng.choice(["Northern", "Pacific", "Eastern", "Central", "Orbit"])
        employer = f"{kind} {rng.randrange(4000)} Institute"
        city = f"City {rng.randrange(400)}"
        law = rng.choice(["Article 110 of the Criminal Law", "18 U.S.C. 794", "18 U.S.C. 1831", ""])
        first = start + timedelta(days=rng.randrange(6 * 365))
        steps = sorted(rng.sample(range(len(STAGES)), rng.randint(1, min(5, articles - len(reports)))))
        for n, step in enumerate(steps):
            when = first + timedelta(days=120 * n + rng.randrange(60))
            name = full if n == 0 and rng.random() < 0.5 else rng.choice([full, family, swapped, full])
            entities = [
                {"text": rng.choice(GENERIC_ORGS), "label": "ORG", "start": 0, "end": 1},
                {"text": "China", "label": "GPE", "start": 0, "end": 1},
            ]
            # Not every report names the employer or the city.
            if rng.random() < 0.8:
                entities.append({"text": employer, "label": "ORG", "start": 0, "end": 1})
            if rng.random() < 0.7:
                entities.append({"text": city, "label": "GPE", "start": 0, "end": 1})
            record = {
                "relevant": True,
                "title": f"Report {len(reports)} on {name}",
                "subjects": [name],
                "entities": entities,
                "tactics": [],
                "penalties": [],
                "laws": [{"text": law, "law": law}] if law and rng.random() < 0.6 else [],
                "stage": {
                    "label": STAGES[step],
                    "evidence": STAGES[step],
                    "start": 0,
                    "end": 1,
                    "events": [],
                },
            }
            reports.append((f"case-{case}", when, record))
    return reports[:articles]


def build_archive(path: Path, reports: list[tuple[str, datetime, dict[str, Any]]]) -> dict[int, str]:
    """Store the reports as articles with extraction records; return story id -> gold case."""
    gold = {}
    with Store.open(path) as store:
        for n, (case, when, record) in enumerate(reports):
            saved = store.save_article(
                Article(
                    source=SOURCES[n % len(SOURCES)],
                    url=f"https://bench.example/{n}",
                    title=record["title"],
                    text=f"synthetic report {n} of {case}",
                    fetched_at=when,
                    published_at=when,
                ),
                None,
                None,
            )
            store.save_extraction(saved.id, "bench", {**record, "id": str(saved.id)})
            gold[saved.story_id] = case
    return gold


def bare_read(store: Store) -> int:
    """The floor: read the same rows and parse the records, nothing else."""
    return sum(len(record) for _, _, record in store.case_inputs())


def series_figures(series: Path = SERIES, pipeline: Any = None) -> None:
    import nlp

    items = [json.loads(line) for line in (series / "input.jsonl").read_text("utf-8").splitlines() if line]
    gold = {
        row["id"]: row for row in map(json.loads, (series / "gold.jsonl").read_text("utf-8").splitlines())
    }
    records = {str(r.id): r.to_json() for r in nlp.extract(pipeline or nlp.build_nlp(), items)}
    store = Store.open(":memory:")
    ids = {}
    for item in items:
        when = datetime.fromisoformat(item["published"]).replace(hour=8, tzinfo=UTC)
        saved = store.save_article(
            Article(item["source"], item["url"], item["title"], item["text"], when, published_at=when),
            None,
            None,
        )
        store.save_extraction(saved.id, "bench", {**records[item["id"]], "id": str(saved.id)})
        ids[item["id"]] = saved.story_id
    result = relink(store)
    predicted = {name: case for name, story in ids.items() if (case := store.story_case(story)) is not None}
    score = pair_score(predicted, {k: g["case"] for k, g in gold.items()})
    labels = dates = 0
    staged = [row for row in gold.values() if "stage" in row]
    for row in staged:
        stage = records[row["id"]].get("stage") or {}
        labels += stage.get("label") == row["stage"]
        dates += stage.get("label") == row["stage"] and stage.get("date") == row.get("stage_date")
    stages = f"; stage {labels}/{len(staged)}, stage with date {dates}/{len(staged)}" if staged else ""
    print(
        f"series {series.name} ({len(items)} reports, {len(set(g['case'] for g in gold.values()))} gold "
        f"cases): {result.cases} cases, {result.candidates} candidate links; pair precision "
        f"{score.precision:.2f} recall {score.recall:.2f} (tp {score.tp} fp {score.fp} fn {score.fn}){stages}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size; the best is kept")
    parser.add_argument("--skip-series", action="store_true", help="only the synthetic archive (no model)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.skip_series:
        import nlp

        pipeline = nlp.build_nlp()
        for series in (SERIES, DESCRIBED):
            series_figures(series, pipeline)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results: dict[int, float] = {}
    cpu_results: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench-{n}.db"
            gold = build_archive(path, synthetic_reports(n))
            with Store.open(path) as store:
                ours, ours_cpu = best_of_both(args.runs, partial(relink, store))
                floor, floor_cpu = best_of_both(args.runs, partial(bare_read, store))
                last = relink(store)
                predicted = {story: case for story in gold if (case := store.story_case(story)) is not None}
            score = pair_score(
                {str(k): v for k, v in predicted.items()}, {str(k): v for k, v in gold.items()}
            )
            results[n] = ours
            cpu_results[n] = ours_cpu
            cases = f"{last.cases} cases of {len(set(gold.values()))} gold"
            print(
                f"{n:6d} articles: relink {ours:6.3f} s ({n / ours:7.0f} articles/s, {last.comparisons} "
                f"comparisons, {cases})  bare read {floor:6.3f} s (ours/bare {ours / floor:4.1f}x)  "
                f"CPU {ours_cpu:6.3f} s, bare {floor_cpu:6.3f} s  "
                f"pair precision {score.precision:.3f} recall {score.recall:.3f}"
            )
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        print(
            f"time ratio {large}/{small} articles: {results[large] / results[small]:.2f}x "
            f"(CPU time {cpu_results[large] / cpu_results[small]:.2f}x; linear {large / small:.0f}x; "
            f"target <= {1.2 * large / small:.0f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
