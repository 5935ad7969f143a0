"""The ``bulletin`` command: a thin click layer over crawl, store and the other stages."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bulletin import __version__
from bulletin.config import Settings, load_settings
from bulletin.errors import BulletinError
from bulletin.records import CrawlStats

logger = logging.getLogger(__name__)

NOISY = (
    "scrapy",
    "twisted",
    "asyncio",
    "filelock",
    "charset_normalizer",
    "htmldate",
    "trafilatura",
    "py.warnings",
)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Set up logging once, for the CLI only (library code never adds handlers)."""
    root = logging.getLogger()
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        # Scrapy's INFO lines (enabled middlewares, the stats dump) drown our progress
        # lines: shown only with -v. A handler filter, because Scrapy resets its loggers'
        # levels when a crawler process starts.
        library_level = level if verbose else max(level, logging.WARNING)
        handler.addFilter(lambda r: not r.name.startswith(NOISY) or r.levelno >= library_level)
        root.addHandler(handler)
    root.setLevel(level)


class BulletinGroup(click.Group):
    """Turns ``BulletinError`` into one line on stderr and exit code 1; bugs keep their traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BulletinError as exc:
            click.echo(f"bulletin: error: {exc}", err=True)
            ctx.exit(1)
        except sqlite3.DatabaseError as exc:
            # A damaged archive (or disk) fails wherever a query reads the bad page: one line
            # naming the file, as for an archive that cannot be opened. Bugs in our SQL (no
            # such column...) are not damage and keep their traceback.
            from bulletin.store import damage

            problem = damage(exc)
            if problem is None:
                raise
            state = ctx.find_object(State)
            db = state.settings().db_path if state is not None else "the archive"
            click.echo(f"bulletin: error: {db}: {problem}", err=True)
            ctx.exit(1)


@dataclass
class State:
    """What the group's options say, read once into ``Settings`` when a command needs them.

    ``--config`` and ``--db`` may come before or after the subcommand; the later one wins.
    """

    config_path: str | None = None
    db: str | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, overrides={"store.path": self.db})
        return self._settings


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and param.name:
        setattr(ctx.ensure_object(State), param.name, value)
    return value


CONFIG_HELP = "TOML config file (default: $BULLETIN_CONFIG or ~/.config/bulletin/config.toml)."
DB_HELP = "SQLite archive (default: store.path, $BULLETIN_DB)."

P = ParamSpec("P")
R = TypeVar("R")


def with_settings(command: Callable[Concatenate[Settings, P], R]) -> Callable[P, R]:
    """Accept --config/--db after the subcommand too, and pass the settings as first argument."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(click.get_current_context().ensure_object(State).settings(), *args, **kwargs)

    run = click.option(
        "--db", type=click.Path(dir_okay=False), expose_value=False, callback=_remember, help=DB_HELP
    )(run)
    run = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        expose_value=False,
        callback=_remember,
        help=CONFIG_HELP,
    )(run)
    return run


def console(err: bool = False) -> Console:
    """A rich console on stdout (or stderr). Off a terminal (a pipe, a test) it never wraps
    or colours, so each table row stays one parseable line."""
    stream = sys.stderr if err else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        highlight=False,
        width=None if terminal else 10_000,
        no_color=not terminal or "NO_COLOR" in os.environ,
    )


def emit(renderable: Any, err: bool = False) -> None:
    """Print a table or other rich renderable; off a terminal, without trailing padding."""
    out = console(err)
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()), err=err)


def table(*columns: str, numeric: tuple[str, ...] = ()) -> Table:
    """A table with a header row; numeric columns right-aligned."""
    out = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        out.add_column(column, justify="right" if column in numeric else "left", no_wrap=True)
    return out


def cells(*values: object) -> list[Text]:
    # Text, not str: rich would read "[blocked]" or scraped "[b]" as markup.
    return [Text("-" if v is None else str(v)) for v in values]


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@click.group(cls=BulletinGroup)
@click.version_option(__version__, prog_name="bulletin")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--db", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db: str | None, verbose: int, quiet: bool) -> None:
    """Bulletin Watch: crawl, extract and digest public security bulletins.

    --config and --db may also be given after the command (bulletin sources --config x.toml).
    Commands that only read the archive (sources, runs, show, export, digest) refuse a
    missing one instead of creating it empty.
    """
    configure_logging(verbose, quiet)
    ctx.obj = State(config_path, db)


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--since", callback=_day, help="Back-fill from this day (YYYY-MM-DD) via site search and APIs.")
@click.option("--until", callback=_day, help="Ignore articles published after this day.")
@click.option("--refresh", is_flag=True, help="Fetch articles again even if already stored.")
@click.option("--only-relevant", is_flag=True, help="Store only articles that report a security case.")
@with_settings
def crawl(
    settings: Settings,
    targets: tuple[str, ...],
    since: date | None,
    until: date | None,
    refresh: bool,
    only_relevant: bool,
) -> None:
    """Crawl sources into the archive (created if missing).

    TARGETS are source names (see `bulletin sources`) or URLs of one article, feed or
    listing page; none means every enabled source. Each article is committed as it is
    stored; a rerun requests only what is not stored yet.
    """
    from bulletin.crawl import resolve_targets, run_crawl

    settings, chosen = resolve_targets(settings, list(targets))
    click.echo(
        f"crawling {', '.join(t.url or t.source.name for t in chosen)} into {settings.db_path}",
        err=True,
    )
    result = run_crawl(
        settings,
        chosen,
        since=since,
        until=until,
        refresh=refresh,
        only_relevant=only_relevant,
        command="bulletin crawl " + " ".join(targets),
    )
    emit(summary_table(result.stats))
    for s in result.stats:
        if s.redecoded:
            click.echo(f"{s.source}: pages read in another encoding than declared: {_breakdown(s.redecoded)}")
    click.echo(
        f"run {result.run_id} {result.status}: {sum(s.new for s in result.stats)} new articles "
        f"in {settings.db_path}"
    )
    if result.status != "finished":
        sys.exit(1)


SUMMARY_COLUMNS = ("source", "requested", "new", "updated", "dups", "skipped", "dropped", "errors")


def summary_table(rows: list[CrawlStats]) -> Table:
    """The end-of-run table: one row per source, drops and errors broken down by reason."""
    out = table(*SUMMARY_COLUMNS, numeric=SUMMARY_COLUMNS[1:6])
    for s in rows:
        out.add_row(
            *cells(
                s.source + (" [blocked]" if s.blocked else ""),
                s.requested,
                s.new,
                s.updated,
                s.duplicates,
                s.skipped,
                _breakdown(s.dropped),
                _breakdown(s.error_kinds),
            )
        )
    return out


def _breakdown(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")"


def _stats_json(stats: CrawlStats | None) -> dict[str, Any] | None:
    return dataclasses.asdict(stats) if stats is not None else None


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per source.")
@with_settings
def sources(settings: Settings, as_json: bool) -> None:
    """List sources with their last crawl, article counts and health."""
    from bulletin.crawl import health
    from bulletin.store import Store

    with Store.open(settings.db_path, create=False) as store:
        overview = store.source_overview(settings.sources)
    rows = []
    for row in overview:
        src = settings.sources[row["source"]]
        rows.append(
            {
                "source": row["source"],
                "kind": src.kind,
                "enabled": src.enabled,
                "articles": row["articles"],
                "relevant": row["relevant"],
                "last_crawl": row["last_crawl"],
                "health": health(row["last"]),
                "last_run": _stats_json(row["last"]),
            }
        )
    if as_json:
        print_json(rows)
        return
    out = table(
        "source",
        "kind",
        "enabled",
        "articles",
        "relevant",
        "last crawl",
        "health",
        numeric=("articles", "relevant"),
    )
    for r in rows:
        out.add_row(
            *cells(
                r["source"],
                r["kind"],
                "yes" if r["enabled"] else "no",
                r["articles"],
                r["relevant"],
                (r["last_crawl"] or "-")[:19],
                r["health"],
            )
        )
    emit(out)


@cli.command()
@click.option("--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--crawls", is_flag=True, help="List crawl runs with per-source figures instead.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per run.")
@with_settings
def runs(settings: Settings, limit: int, crawls: bool, as_json: bool) -> None:
    """List recent pipeline runs (`bulletin run`/schedule), or crawl runs with --crawls.

    A run whose process died (killed, crashed) is first recorded as abandoned.
    """
    from bulletin.recovery import recover
    from bulletin.store import Store

    with Store.open(settings.db_path, create=False) as store:
        recover(store)
        if crawls:
            crawl_runs = [
                {**run, "sources": [dataclasses.asdict(s) for s in store.run_stats(run["id"])]}
                for run in store.runs(limit)
            ]
        else:
            pipeline_runs = store.pipeline_runs(limit)
    if crawls:
        if as_json:
            print_json(crawl_runs)
            return
        for run in crawl_runs:
            head = f"crawl {run['id']}  {run['started_at'][:19]}  {run['status']}  {run['command'] or ''}"
            click.echo(_plain(head.rstrip()))
            emit(Padding(summary_table([CrawlStats(**s) for s in run["sources"]]), (0, 0, 0, 4)))
        return
    if as_json:
        print_json(pipeline_runs)
        return
    if not pipeline_runs:
        click.echo("no pipeline runs yet (`bulletin run` and the scheduler record them; see --crawls)")
        return
    out_table = table(
        "run",
        "started",
        "trigger",
        "status",
        "period",
        "crawl",
        "extracted",
        "cases",
        "problems",
        numeric=("run", "crawl", "extracted", "cases"),
    )
    for run in pipeline_runs:
        out_table.add_row(
            *cells(
                run["id"],
                run["started_at"][:19],
                run["trigger"],
                run["status"],
                run["period"],
                run["crawl_run_id"],
                run["extracted"],
                run["cases"],
                "; ".join(run["problems"]) or "-",
            )
        )
    emit(out_table)


@cli.command()
@click.option(
    "--input",
    "source",
    metavar="FILE|-",
    help="Plain text, an HTML page or JSON Lines (text, id, url, title, published); - for stdin.",
)
@click.option("--redo", is_flag=True, help="Re-extract every stored article (after the rules change).")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@with_settings
def extract(settings: Settings, source: str | None, redo: bool, model: str | None) -> None:
    """Extract subjects, entities, tactics, penalties and laws.

    With --input, write one JSON record per article to stdout. Without it, process the
    stored articles not yet extracted by the current pipeline version and store the
    records (idempotent; --redo re-extracts all), with a progress bar on a terminal
    and a log line every few seconds otherwise. One at a time per archive: a second
    `bulletin extract` meanwhile is refused.
    """
    from bulletin.extracting import extract_input, extract_stored

    model = model or settings["nlp.model"] or None
    if source is not None:
        count = extract_input(source, model, settings["nlp.batch_size"], sys.stdin.buffer, sys.stdout)
        click.echo(f"extracted {count.done} articles ({count.relevant} relevant)", err=True)
        return
    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("extracting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console(err=True),
        ) as bar:
            task = bar.add_task("extract", total=None)
            count = extract_stored(
                settings, model, redo, lambda done, total: bar.update(task, completed=done, total=total)
            )
    else:
        count = extract_stored(settings, model, redo)
    click.echo(
        f"extracted {count.done} stored articles ({count.relevant} relevant) "
        f"in {count.seconds:.1f} s into {settings.db_path}"
    )


@cli.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--json", "as_json", is_flag=True, help="The article's JSON record (as one line of export).")
@click.option("--text", "with_text", is_flag=True, help="Also print the article's text.")
@with_settings
def show(settings: Settings, ref: str, as_json: bool, with_text: bool) -> None:
    """Show one stored article with its extraction: by id (see export) or by URL."""
    from bulletin.exporting import article_record
    from bulletin.store import Store

    with Store.open(settings.db_path, create=False) as store:
        article = store.find_article(ref)
        if article is None or article.id is None:
            raise BulletinError(f"no article {ref!r} in {settings.db_path}")
        stored = store.stored_extraction(article.id)
    record = article_record(article, stored)
    if as_json:
        print_json(record)
        return
    for line in show_lines(record, with_text):
        click.echo(line)


def _plain(value: object) -> str:
    """Scraped text made safe for a terminal: control characters (escape sequences) shown, not run."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def show_lines(record: dict[str, Any], with_text: bool = False) -> list[str]:
    """The human-readable form of an article record (see ``exporting.article_record``)."""
    lines = [
        f"article {record['id']} ({_plain(record['source'])}), story {record['story_id']}",
        f"title:      {_plain(record['title'])}",
        f"url:        {_plain(record['url'])}",
        f"published:  {record['published_at'] or 'unknown'}",
        f"fetched:    {record['fetched_at']}",
    ]
    lines += [f"{k + ':':11s} {_plain(record[k])}" for k in ("byline", "section") if record[k]]
    if record["pipeline_version"] is None:
        lines.append("extraction: none yet (run `bulletin extract`)")
    else:
        verdict = "relevant" if record["relevant"] else "not a security case"
        lines.append(
            f"extraction: {verdict} (pipeline {record['pipeline_version']}, {record['extracted_at'][:19]})"
        )
        lines.append(f"subjects:   {_plain(', '.join(record['subjects'])) or '-'}")
        for key, render in (
            ("tactics", lambda t: f'{t["label"]}: "{t.get("evidence", "")}"'),
            ("penalties", _penalty),
            ("laws", lambda law: law.get("text", "")),
        ):
            lines.append(f"{key}:" if record[key] else f"{key + ':':11s} -")
            lines += [f"  - {_plain(render(item))}" for item in record[key]]
        by_label: dict[str, dict[str, None]] = {}
        for entity in record["entities"]:
            by_label.setdefault(entity.get("label", ""), {})[entity.get("text", "")] = None
        lines.append("entities:" if by_label else "entities:   -")
        lines += [f"  - {label}: {_plain(', '.join(texts))}" for label, texts in sorted(by_label.items())]
    if with_text:
        lines += ["", *(_plain(line) for line in record["text"].splitlines())]
    else:
        lines.append(f"text:       {len(record['text'])} characters (--text to print it)")
    return lines


def _penalty(p: dict[str, Any]) -> str:
    amount = [str(p[k]) for k in ("months", "amount") if k in p]
    unit = "months" if "months" in p else p.get("currency", "")
    what = f"{p.get('person') or '?'}: {p.get('kind', '')}" + (
        f" {' '.join(amount)} {unit}".rstrip() if amount else ""
    )
    return what + (f' ("{p["evidence"]}")' if p.get("evidence") else "")


EXPORT_HELP = "jsonl: one object per article; csv: one row per penalty."


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help=EXPORT_HELP,
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.option("--since", callback=_day, help="Only articles published on or after this day (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Only articles published on or before this day.")
@with_settings
def export(settings: Settings, fmt: str, out: Path | None, since: date | None, until: date | None) -> None:
    """Write the stored articles with their extraction records, streamed.

    jsonl: one JSON object per article: the extraction record's keys (id, relevant, url,
    title, published, subjects, entities, tactics, penalties, laws, relevance) plus source,
    story_id, published_at, fetched_at, byline, section, lang, topic_score,
    pipeline_version, extracted_at and text. csv: a header, then one row per penalty:
    article_id, url, published, person, kind, months, amount, currency.
    """
    from bulletin.exporting import FORMATS, Selection
    from bulletin.exporting import export as write
    from bulletin.store import Store

    selection = Selection(since, until)
    with Store.open(settings.db_path, create=False) as store:
        if out is None:
            sys.stdout.flush()
            count = write(store, fmt, selection, sys.stdout.buffer)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".tmp")
            with tmp.open("wb") as fh:
                count = write(store, fmt, selection, fh)
            tmp.replace(out)  # a reader never sees half an export
    click.echo(
        f"exported {count.rows} {FORMATS[fmt].unit} from {count.articles} articles "
        f"({count.extracted} extracted) as {fmt} to {out or 'stdout'}",
        err=True,
    )


@cli.command()
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for each source and SMTP.")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@with_settings
def doctor(settings: Settings, timeout: float, model: str | None) -> None:
    """Check the setup: model, archive, each enabled source, SMTP; nothing is crawled or sent.

    One line per check; exits 1 when any check failed.
    """
    from bulletin.doctor import FAIL, run_checks, summary

    checks = []
    for check in run_checks(settings, model or settings["nlp.model"] or None, timeout):
        checks.append(check)
        click.echo(f"{check.status:4s}  {check.what}: {_plain(check.detail)}")
    click.echo(summary(checks))
    if any(c.status == FAIL for c in checks):
        sys.exit(1)


def _formats(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


@cli.command()
@click.option(
    "--period",
    type=click.Choice(["daily", "weekly"]),
    default="daily",
    show_default=True,
    help="Calendar period, in digest.timezone.",
)
@click.option("--date", "day", callback=_day, help="A day in the period (default: the last complete one).")
@click.option("--since", callback=_day, help="First day of a report by publication date (with --until).")
@click.option("--until", callback=_day, help="Last day of a report by publication date (inclusive).")
@click.option(
    "--format",
    "formats",
    callback=_formats,
    metavar="LIST",
    help="Comma-separated: html,txt,md,atom (default: digest.formats).",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: digest.out_dir)."
)
@click.option("--send", is_flag=True, help="Mail it (HTML + text) over SMTP, once per period.")
@click.option(
    "--resend",
    is_flag=True,
    help="Send even if this period was sent before, or an interrupted attempt may have been delivered.",
)
@with_settings
def digest(
    settings: Settings,
    period: str,
    day: date | None,
    since: date | None,
    until: date | None,
    formats: list[str] | None,
    out: Path | None,
    send: bool,
    resend: bool,
) -> None:
    """Render the digest of a period from the archive; print the paths written.

    A daily or weekly digest shows the cases that reached the archive since the previous
    digest of its kind (by first-stored time, with each case's publication date), so
    consecutive digests skip nothing and repeat nothing. --since/--until instead make a
    report of the cases first published in those days. Daily and weekly digests also
    rewrite feed.atom, the feed to subscribe to, beside the dated files.
    """
    from bulletin.digesting import build_digest, build_feed, send_digest, write_digest
    from bulletin.periods import period_for
    from bulletin.store import Store, utcnow

    chosen = period_for(period, settings["digest.timezone"], utcnow(), day, since, until)
    with Store.open(settings.db_path, create=False) as store:
        built = build_digest(store, chosen, near_line=settings["digest.near_line"])
        paths = write_digest(
            built,
            chosen,
            formats or list(settings["digest.formats"]),
            out or Path(settings["digest.out_dir"]).expanduser(),
            settings["digest.templates"],
            feed=build_feed(store, built),
            feed_url=settings["digest.feed_url"],
        )
        for path in paths:
            click.echo(str(path))
        if send or resend:
            click.echo(send_digest(settings, store, built, chosen, resend=resend), err=True)
    click.echo(f"{chosen.kind} digest {chosen.label}: {len(built.cases)} new cases", err=True)


@cli.command()
@click.option("--period", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option("--date", "day", callback=_day, help="A day in the period (default: the last complete one).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Folder (default: digest.out_dir)."
)
@click.option("--send", is_flag=True, help="Mail the digest (once per period).")
@with_settings
def run(settings: Settings, period: str, day: date | None, out: Path | None, send: bool) -> None:
    """Crawl the enabled sources, extract what is new, render (and --send) the digest.

    The digest holds every case stored since the previous digest of its kind, this run's
    crawl included (see `bulletin digest --help`).
    """
    from bulletin.run import run_pipeline

    result = run_pipeline(settings, period_kind=period, day=day, send=send, out_dir=out)
    for path in result.outputs:
        click.echo(path)
    click.echo(
        f"run {result.run_id} {result.status}: crawl run {result.crawl_run_id}, "
        f"{result.extracted} extracted, {result.cases} cases in the {result.period.kind} digest "
        f"{result.period.label}" + (f"; {result.sent}" if result.sent else ""),
        err=True,
    )
    for problem in result.problems:
        click.echo(f"  problem: {problem}", err=True)
    if result.status == "failed":
        sys.exit(1)


@cli.command()
@click.option("--cron", help='When to run, crontab syntax (default: schedule.cron, "0 7 * * *").')
@click.option("--timezone", "zone", help="Zone of the cron (default: schedule.timezone).")
@click.option("--send", is_flag=True, help="Mail each digest (once per period).")
@with_settings
def schedule(settings: Settings, cron: str | None, zone: str | None, send: bool) -> None:
    """Run `bulletin run` on a cron, unattended, until SIGTERM or Ctrl-C.

    On start, runs left running by a process that died are recorded as abandoned (their
    orphaned crawls stopped), and a scheduled period abandoned within
    schedule.misfire_grace_hours is run once more.
    """
    from bulletin.config import load_settings
    from bulletin.schedule import serve

    if cron or zone:
        overrides = {"schedule.cron": cron, "schedule.timezone": zone, "store.path": str(settings.db_path)}
        settings = load_settings(settings.files[-1] if settings.files else None, overrides=overrides)
    serve(settings, send=send)


@cli.command("serve-sample")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of sample sites (default: the bundled ones).",
)
def serve_sample(root: Path | None) -> None:
    """Serve the bundled sample sites on loopback until Ctrl-C (for trying spiders offline)."""
    from bulletin.demo import sample_root
    from bulletin.sample_server import SampleServer

    with SampleServer(root or sample_root()) as server:
        for name in server.sites:
            click.echo(f"{name:24s} {server.base(name)}")
        click.echo("serving; Ctrl-C to stop", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the demo's database and outputs.",
)
def demo(out: Path) -> None:
    """Run the main job end to end on the bundled sample sites (no internet needed).

    Serves the sample sites on loopback, crawls them, extracts the cases and renders the
    digest of the whole sample archive into OUT/digest.
    """
    from bulletin.demo import run_demo

    sys.exit(run_demo(out))


if __name__ == "__main__":
    cli()
