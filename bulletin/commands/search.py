"""``bulletin search``: full-text search over the archive from the command line."""

from __future__ import annotations

import json
from datetime import date

import click

from bulletin.cli import _day, _plain, with_settings
from bulletin.config import Settings
from bulletin.records import STAGE_LABELS
from bulletin.search import MAX_LIMIT, Filters, Results, as_text, search


@click.command("search")
@click.argument("query", default="")
@click.option("--since", callback=_day, help="Published on or after this day (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Published on or before this day (YYYY-MM-DD).")
@click.option("--source", help="Only this source (as `bulletin sources` names it).")
@click.option("--stage", type=click.Choice(STAGE_LABELS), help="Only reports whose furthest stage is this.")
@click.option("--tactic", help="Only reports with this tactic label (e.g. financial_inducement).")
@click.option("--person", help="Only reports with this person among the subjects (a name or part of one).")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(1, MAX_LIMIT), help="How many results."
)
@click.option("--offset", default=0, type=click.IntRange(0), help="Skip this many results first (paging).")
@click.option("--json", "as_json", is_flag=True, help="A JSON object: the total and the hits, best first.")
@with_settings
def search_cli(
    settings: Settings,
    query: str,
    since: date | None,
    until: date | None,
    source: str | None,
    stage: str | None,
    tactic: str | None,
    person: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Search the archive's titles, texts and extracted fields, best match first.

    QUERY is words (all must appear), "quoted phrases" and prefixes (espion*); case and
    accents do not matter, punctuation is ignored. Matches in the title and among the
    subjects rank highest. Each hit shows its best-matching passage with the matches
    between ** marks. --person alone lists a person's reports.
    """
    from bulletin.store import Store

    filters = Filters(since, until, source, stage, tactic, person)
    with Store.open(settings.db, create=False) as store:
        results = search(store, query, filters, limit, offset)
    if as_json:
        click.echo(json.dumps(_json(results, limit, offset), ensure_ascii=False, indent=2))
    else:
        for rank, hit in enumerate(results.hits, start=offset + 1):
            where = ", ".join(filter(None, (hit.source, hit.published, hit.stage)))
            click.echo(f"{rank:3d}. [{hit.article_id}] {_plain(as_text(hit.title_marks))} ({_plain(where)})")
            if hit.subjects:
                click.echo(f"     subjects: {_plain('; '.join(hit.subjects))}")
            click.echo(f"     {_plain(as_text(hit.snippet))}")
            click.echo(f"     {_plain(hit.url)}")
    shown_to = offset + len(results.hits)
    span = f"{offset + 1}-{shown_to} of " if results.hits else ""
    click.echo(
        f"{span}{results.total} articles match {' AND '.join(_describe(results))} in {settings.db}",
        err=True,
    )


def _describe(results: Results) -> list[str]:
    out = []
    for term in results.terms:
        text = " ".join(term.words) + ("*" if term.prefix else "")
        text = f'"{text}"' if len(term.words) > 1 else text
        out.append(f"person {text}" if term.column else text)
    return out


def _json(results: Results, limit: int, offset: int) -> dict[str, object]:
    return {
        "query": results.query,
        "total": results.total,
        "limit": limit,
        "offset": offset,
        "hits": [hit.to_json() for hit in results.hits],
    }
