"""Review page server time at 1,000 and 10,000 extracted articles, against a bare Flask page.

    python bench/review.py [--sizes 1000,10000] [--repeat 30]

Fills a temporary archive with synthetic stories (each with a record: subjects, entities,
tactics with evidence, penalties, a relevance score; one in ten corrected by a reviewer),
then times, per size and in the same run, the server side of a first paint through Flask's
test client (routing, SQL, templates, no network): the queue's first page, the queue filtered
by a tactic, and an article view. The baseline is a bare Flask route that renders a template
of the same length from a list in memory, so the ratio is what the archive and the review
logic add. Prints the median milliseconds (goal: under 200 ms each), the ratio to the bare
page, and the 10,000/1,000 ratio (goal: flat, near 1).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask, render_template_string  # noqa: E402

from bulletin.corrections import Correction  # noqa: E402
from bulletin.records import Article  # noqa: E402
from bulletin.review import create_app  # noqa: E402
from bulletin.store import Store  # noqa: E402
from digest.filters import PENALTY_ORDER, TACTIC_WORDS  # noqa: E402

SURNAMES = ("Feng", "Jiang", "Liu", "Chen", "Wang", "Li", "Zhao", "Huang", "Smith", "Doe", "Lee", "Park")
SOURCES = ("globaltimes", "chinadaily", "doj", "taipeitimes")
SENTENCE = (
    "A former engineer surnamed {name} was sentenced to {years} years in prison by a court in {city}. "
    "The Ministry of State Security said a foreign agent offered {name} a high consulting fee. "
)


def fill(db: Path, n: int, seed: int = 0) -> int:
    """Store ``n`` synthetic stories with extraction records; the id of one to view."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    labels = list(TACTIC_WORDS)
    with Store.open(db) as store:
        for i in range(n):
            name = f"{rng.choice(SURNAMES)} {rng.choice('ABCDEFGH')}{i}"
            text = "".join(
                SENTENCE.format(
                    name=name, years=rng.randint(2, 15), city=rng.choice(("Beijing", "Taipei", "Ohio"))
                )
                for _ in range(12)
            )
            when = start + timedelta(hours=i)
            article = Article(
                source=rng.choice(SOURCES),
                url=f"https://example.org/{i}.html",
                title=f"{name} sentenced for espionage, report {i}",
                text=text,
                fetched_at=when,
                published_at=when,
            )
            saved = store.save_article(article, run_id=None, sig=None)
            t0 = text.index("offered")
            p0 = text.index("sentenced")
            record = {
                "id": str(saved.id),
                "relevant": rng.random() > 0.2,
                "relevance": rng.random(),
                "subjects": [name],
                "entities": [
                    {
                        "text": name,
                        "label": "PERSON",
                        "start": text.index(name),
                        "end": text.index(name) + len(name),
                    },
                    {
                        "text": "Ministry of State Security",
                        "label": "ORG",
                        "start": text.index("Ministry"),
                        "end": text.index("Ministry") + 26,
                    },
                ],
                "tactics": [
                    {"label": rng.choice(labels), "evidence": text[t0 : t0 + 30], "start": t0, "end": t0 + 30}
                ],
                "penalties": [
                    {
                        "person": name if rng.random() > 0.1 else None,
                        "kind": rng.choice(PENALTY_ORDER),
                        "months": 60,
                        "evidence": text[p0 : p0 + 30],
                        "start": p0,
                        "end": p0 + 30,
                    }
                ],
                "laws": [],
            }
            store.save_extraction(saved.id, "bench-1", record)
            if i % 10 == 0:
                correction = Correction(
                    "accept", "relevance", "relevance", {"relevant": record["relevant"]}, None, "ana"
                )
                store.add_correction(saved.id, 0, correction, "bench-1")
                store.set_review_status(saved.id, "started", 0)
        return int(saved.id)


def median_ms(call: Callable[[], Any], repeat: int) -> float:
    call()  # warm: templates compiled, caches filled
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000


def bare_app(size: int) -> Flask:
    app = Flask("bare")
    rows = [(f"story {i}", f"https://example.org/{i}.html") for i in range(50)]
    pad = "x" * size

    @app.get("/")
    def page() -> str:
        return render_template_string(
            "<html><body><table>{% for t, u in rows %}<tr><td><a href='{{ u }}'>{{ t }}</a></td></tr>"
            "{% endfor %}</table><p>{{ pad }}</p></body></html>",
            rows=rows,
            pad=pad,
        )

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            db = Path(tmp) / f"review-{n}.db"
            begin = time.perf_counter()
            article_id = fill(db, n)
            print(f"filled {n} articles in {time.perf_counter() - begin:.1f} s", flush=True)
            client = create_app(str(db), "bench").test_client()
            pages = {
                "queue": lambda c=client: c.get("/"),
                "queue by tactic": lambda c=client: c.get("/?tactic=financial_inducement&status=pending"),
                "article": lambda c=client, a=article_id: c.get(f"/article/{a}"),
            }
            sizes_bytes = {name: len(call().data) for name, call in pages.items()}
            results[n] = {}
            for name, call in pages.items():
                response = call()
                assert response.status_code == 200, (name, response.status_code)
                ours = median_ms(call, args.repeat)
                bare = bare_app(sizes_bytes[name]).test_client()
                base = median_ms(lambda b=bare: b.get("/"), args.repeat)
                results[n][name] = ours
                print(
                    f"{n:>6} articles  {name:16s} {ours:7.1f} ms  (bare Flask page of the same size "
                    f"{base:5.2f} ms, ratio {ours / base:5.1f}x)  {'ok' if ours < 200 else 'OVER 200 ms'}"
                )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for name in results[small]:
            ratio = results[large][name] / results[small][name]
            print(f"{name:16s} {large}/{small} articles: {ratio:.2f}x (flat is 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
