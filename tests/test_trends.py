"""Trends: the figures of a small archive, the filters, the CLI, the /trends page and the digest's line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cases import relink
from bulletin.cli import cli
from bulletin.errors import BulletinError
from bulletin.review import create_app
from bulletin.store import Store
from bulletin.trends import TrendFilters, charts, trend_line, trends
from tests import watch_archive


@pytest.fixture
def store(memory_archive: str) -> Iterator[Store]:
    with Store.open(memory_archive) as opened:
        yield opened


def build(store: Store) -> dict[str, int]:
    ids = watch_archive.build(store)
    # A second outlet's copy of the Zhao sentencing a month later is the same case file: one
    # sentencing in April as well, never two in the case's count.
    text = watch_archive.ZHAO_TEXT.replace("BEIJING", "DALIAN")
    ids["zhao-2"] = watch_archive.put(
        store,
        "https://www.ecns.cn/zhao.html",
        "Zhao appeal rejected",
        text,
        watch_archive.zhao_record(text),
        watch_archive.T0 + timedelta(days=33),
        "chinadaily",
    )
    relink(store)
    return ids


def test_figures_of_a_small_archive(store: Store) -> None:
    build(store)
    data = trends(store, today=date(2026, 4, 30))
    assert data["totals"] == {"reports": 4, "cases": 3, "sentencings": 2}
    assert data["per_month"] == [
        {"month": "2026-03", "reports": 3, "cases": 3, "sentencings": 2, "new_cases": 3},
        {"month": "2026-04", "reports": 1, "cases": 1, "sentencings": 1, "new_cases": 0},
    ]
    assert data["by_jurisdiction"] == [
        {"name": "China", "stories": 3},
        {"name": "United States", "stories": 1},
    ]
    assert data["by_source"][0] == {"name": "chinadaily", "stories": 2}
    assert data["by_stage"] == [{"name": "charge", "stories": 1}, {"name": "sentencing", "stories": 3}]
    assert {"name": "online_approach", "stories": 2} in data["by_tactic"]
    terms = {row["term"]: row["people"] for row in data["prison_terms"]}
    # Zhao's seven years are one person's term in one case file, however many reports give it.
    assert (terms["5-10 years"], terms["3-5 years"], terms["life"]) == (1, 1, 0)
    assert data["top_organisations"][0] == {"name": "Pacific Rim Avionics", "stories": 2}
    assert data["top_places"][0] == {"name": "Dalian", "stories": 2}
    compare = data["compare"]
    assert compare["period"] == {"since": "2026-04-01", "until": "2026-04-30"}
    assert (compare["current"]["reports"], compare["previous"]["reports"]) == (1, 3)
    assert compare["new_organisations"] == []
    json.dumps(data)  # plain data, ready for an API


def test_filters(store: Store) -> None:
    ids = build(store)
    assert trends(store, TrendFilters(source="doj"))["totals"]["reports"] == 1
    assert trends(store, TrendFilters(stage="charge"))["by_source"] == [{"name": "doj", "stories": 1}]
    assert trends(store, TrendFilters(tactic="financial_inducement"))["top_places"] == [
        {"name": "Qingdao", "stories": 1}
    ]
    april = trends(store, TrendFilters(since=date(2026, 4, 1), until=date(2026, 4, 30)))
    assert april["totals"] == {"reports": 1, "cases": 1, "sentencings": 1}
    assert april["compare"]["previous"]["reports"] == 3
    assert ids["zhao-2"] != ids["zhao"]
    with pytest.raises(BulletinError, match="since 2026-05-01 is after until 2026-04-01"):
        TrendFilters(since=date(2026, 5, 1), until=date(2026, 4, 1))


def test_the_digest_trend_line(store: Store) -> None:
    build(store)
    assert trend_line(store, date(2026, 4, 15)) == "1 sentencing this month, 2 last month"
    assert trend_line(store, date(2026, 3, 3)) == "2 sentencings this month, 0 last month"


def test_charts_have_a_bar_per_row_and_scale_to_the_largest(store: Store) -> None:
    build(store)
    laid_out = charts(trends(store))
    months = laid_out["months"]
    assert [c.month for c in months.columns] == ["2026-03", "2026-04"]
    assert months.columns[0].reports_height == months.plot_height  # the largest fills the plot
    stage = next(c for c in laid_out["bars"] if c.key == "stage")
    assert [(b.label, b.value) for b in stage.rows] == [("charge", 1), ("sentencing", 3)]
    assert stage.rows[1].width == 300
    assert stage.rows[0].width == 100


def test_cli_text_and_json(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    with Store.open(db) as opened:
        build(opened)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "trends", "--json", "--source", "chinadaily"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"] == {"reports": 2, "cases": 2, "sentencings": 2}
    result = runner.invoke(cli, ["--db", db, "trends", "--since", "2026-03-01", "--until", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "2026-03        3      3          3            2" in result.output
    assert "by jurisdiction: China 2, United States 1" in result.output
    assert result.output.rstrip().endswith("3 stories judged a case in 3 case files, 2 sentencings")


def test_the_page_draws_a_chart_per_figure_with_its_numbers(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    with Store.open(db) as opened:
        build(opened)
    client = create_app(db, "ana").test_client()
    page = client.get("/trends").get_data(as_text=True)
    drawn = re.findall(r'<svg [^>]*data-chart="([a-z]+)"', page)
    assert drawn == [
        "months",
        "jurisdiction",
        "source",
        "stage",
        "tactic",
        "terms",
        "organisations",
        "places",
    ]
    assert page.count('<table class="numbers">') == 9  # one beside each chart, and the comparison
    assert '<th>2026-03</th><td class="n">3</td>' in page
    assert "<script" not in page.replace('<script src="/static/review/review.js" defer></script>', "")
    filtered = client.get("/trends?source=doj&stage=charge").get_data(as_text=True)
    assert "<b>1 story</b> judged a case" in filtered
    bad = client.get("/trends?since=yesterday")
    assert bad.status_code == 400
    assert "since &#39;yesterday&#39; is not a day (YYYY-MM-DD)" in bad.get_data(as_text=True)
    long = client.get("/trends?source=" + "x" * 500)
    assert long.status_code == 400
    assert "source is 500 characters long; at most 100 are taken" in long.get_data(as_text=True)


def test_the_digest_carries_the_trend_line(store: Store) -> None:
    from bulletin.digesting import build_digest
    from bulletin.periods import period_for
    from digest.render import render_digest

    build(store)
    period = period_for("custom", "UTC", watch_archive.T0, None, date(2026, 4, 1), date(2026, 4, 30))
    digest = build_digest(store, period)
    assert digest.trend == "1 sentencing this month, 2 last month"
    html = render_digest(digest, "html")
    assert '<p class="muted" id="trend">1 sentencing this month, 2 last month.</p>' in html
    assert "\n1 sentencing this month, 2 last month.\n" in render_digest(digest, "txt")
    assert "\n1 sentencing this month, 2 last month.\n" in render_digest(digest, "md")
