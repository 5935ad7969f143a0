"""`bulletin trends`: the archive's trends as text or JSON (the /trends page draws the same)."""

from __future__ import annotations

from datetime import date

import click

from bulletin.cli import _day, print_json, with_settings
from bulletin.config import Settings
from bulletin.records import STAGE_LABELS


@click.command("trends")
@click.option("--since", callback=_day, help="Only stories published on or after this day (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Only stories published on or before this day.")
@click.option("--source", help="Only stories with a copy from this source.")
@click.option("--stage", type=click.Choice(STAGE_LABELS), help="Only stories whose furthest stage is this.")
@click.option("--tactic", metavar="LABEL", help="Only stories giving this tactic (financial_inducement...).")
@click.option("--json", "as_json", is_flag=True, help="All the figures as one JSON object.")
@with_settings
def trends_command(
    settings: Settings,
    since: date | None,
    until: date | None,
    source: str | None,
    stage: str | None,
    tactic: str | None,
    as_json: bool,
) -> None:
    """Cases and sentencings per month; by jurisdiction, source, stage and tactic; prison terms;
    the organisations and places named most; this period against the previous (the 30 days
    to --until or today, or --since to --until)."""
    from bulletin.store import Store
    from bulletin.trends import TrendFilters, trends

    with Store.open(settings.db, create=False) as store:
        data = trends(store, TrendFilters(since, until, source, stage, tactic))
    if as_json:
        print_json(data)
        return
    compare = data["compare"]
    click.echo("month     stories  cases  new cases  sentencings")
    for m in data["per_month"]:
        click.echo(
            f"{m['month']}  {m['reports']:>7}  {m['cases']:>5}  {m['new_cases']:>9}  {m['sentencings']:>11}"
        )
    sections = [
        ("by jurisdiction", "by_jurisdiction", "name", "stories"),
        ("by source", "by_source", "name", "stories"),
        ("by furthest stage", "by_stage", "name", "stories"),
        ("by tactic", "by_tactic", "name", "stories"),
        ("prison terms (people)", "prison_terms", "term", "people"),
        ("organisations named most", "top_organisations", "name", "stories"),
        ("places named most", "top_places", "name", "stories"),
    ]
    for title, key, name, value in sections:
        rows = [f"{row[name]} {row[value]}" for row in data[key] if row[value]]
        click.echo(f"{title}: {', '.join(rows) or 'none'}")
    now, before, prev = compare["current"], compare["previous"], compare["previous_period"]
    click.echo(
        f"{compare['period']['since']} to {compare['period']['until']}: {now['reports']} stories, "
        f"{now['cases']} case files, {now['sentencings']} sentencings; "
        f"the {prev['since']} to {prev['until']} before: {before['reports']}, {before['cases']}, "
        f"{before['sentencings']}"
        + (
            f"; organisations new: {', '.join(compare['new_organisations'])}"
            if compare["new_organisations"]
            else ""
        )
    )
    totals = data["totals"]
    click.echo(
        f"{totals['reports']} stories judged a case in {totals['cases']} case files, "
        f"{totals['sentencings']} sentencings"
    )
