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
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bulletin import __version__
from bulletin.config import Settings, load_settings
from bulletin.database import first_line, shown
from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS, CaseReport, CaseSummary, CrawlStats, Digest

if TYPE_CHECKING:
    from bulletin.crawl import CrawlResult

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
            db = state.settings().db if state is not None else "the archive"
            click.echo(f"bulletin: error: {db}: {problem}", err=True)
            ctx.exit(1)
        except Exception as exc:
            # PostgreSQL gone for longer than the reconnect wait, or a connection it cut:
            # one line naming the server. Any other error is a bug and keeps its traceback.
            if type(exc).__module__.split(".")[0] != "psycopg" or type(exc).__name__ not in (
                "OperationalError",
                "InterfaceError",
            ):
                raise
            state = ctx.find_object(State)
            db = shown(state.settings().db) if state is not None else "the archive"
            click.echo(f"bulletin: error: {db}: PostgreSQL: {first_line(exc)}", err=True)
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
DB_HELP = "The archive: a SQLite file or a postgresql:// URL (default: store.path, $BULLETIN_DB)."

P = ParamSpec("P")
R = TypeVar("R")


def with_settings(command: Callable[Concatenate[Settings, P], R]) -> Callable[P, R]:
    """Accept --config/--db after the subcommand too, and pass the settings as first argument."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(click.get_current_context().ensure_object(State).settings(), *args, **kwargs)

    run = click.option(
        "--db",
        type=click.Path(dir_okay=False),
        metavar="FILE|URL",
        expose_value=False,
        callback=_remember,
        help=DB_HELP,
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
@click.option("--db", type=click.Path(dir_okay=False), metavar="FILE|URL", help=DB_HELP)
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


REDIS_HELP = (
    "Share the crawl through the Redis at this URL (redis://HOST:6379/0; default: redis.url, "
    "$BULLETIN_REDIS_URL): seed it and work on it until its queue is idle."
)


def _redis(settings: Settings, url: str | None) -> str:
    from bulletin.config import checked

    return str(checked("redis.url", url, "--redis")) if url is not None else str(settings["redis.url"])


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--since", callback=_day, help="Back-fill from this day (YYYY-MM-DD) via site search and APIs.")
@click.option("--until", callback=_day, help="Ignore articles published after this day.")
@click.option("--refresh", is_flag=True, help="Fetch articles again even if already stored.")
@click.option("--only-relevant", is_flag=True, help="Store only articles that report a security case.")
@click.option("--redis", "redis_url", metavar="URL", help=REDIS_HELP)
@with_settings
def crawl(
    settings: Settings,
    targets: tuple[str, ...],
    since: date | None,
    until: date | None,
    refresh: bool,
    only_relevant: bool,
    redis_url: str | None,
) -> None:
    """Crawl sources into the archive (created if missing).

    TARGETS are source names (see `bulletin sources`) or URLs of one article, feed or
    listing page; none means every enabled source. Each article is committed as it is
    stored; a rerun requests only what is not stored yet. A URL that leaves no article in
    the archive (a 404, no article on it) makes the command exit 1.

    With --redis (or redis.url set) the crawl is shared: this command starts a new crawl
    of the targets in Redis (their listings and feeds are read again), then fetches from
    the shared queue like every `bulletin worker crawl` on any machine, and stops once the
    queue has been idle for redis.idle_seconds. Its table shows its own share.
    """
    from bulletin.crawl import adhoc_failures, resolve_targets, run_crawl

    shared = _redis(settings, redis_url)
    if shared and refresh:
        raise BulletinError("--refresh does not go with a shared crawl (--redis, redis.url): crawl alone")
    settings, chosen = resolve_targets(settings, list(targets))
    click.echo(
        f"crawling {', '.join(t.url or t.source.name for t in chosen)} into {shown(settings.db)}"
        + (" (shared crawl)" if shared else ""),
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
        redis_url=shared,
    )
    _report_crawl(settings, result)
    if not shared and (empty := adhoc_failures(chosen, result.stats)):
        raise BulletinError("; ".join(empty))


def _report_crawl(settings: Settings, result: CrawlResult) -> None:
    emit(summary_table(result.stats))
    for s in result.stats:
        if s.redecoded:
            click.echo(f"{s.source}: pages read in another encoding than declared: {_breakdown(s.redecoded)}")
        if s.body_suspect:
            click.echo(
                f"{s.source}: bodies lacking the page's own description (body_suspect): {s.body_suspect}"
            )
        if s.rejected_dates:
            click.echo(
                f"{s.source}: publication dates rejected as impossible: {_breakdown(s.rejected_dates)}"
            )
    click.echo(
        f"run {result.run_id} {result.status}: {sum(s.new for s in result.stats)} new articles "
        f"in {shown(settings.db)}"
    )
    if result.error:
        raise BulletinError(result.error)
    if result.status != "finished":
        sys.exit(1)


@cli.group("worker")
def worker_group() -> None:
    """Workers sharing one job: run any number, on any machines, against one archive.

    `worker crawl` shares a crawl through one Redis; `worker extract` shares the pending
    extraction (best on a PostgreSQL archive).
    """


@worker_group.command("crawl")
@click.argument("sources", nargs=-1)
@click.option("--redis", "redis_url", metavar="URL", help="Redis of the shared crawl (default: redis.url).")
@click.option("--since", callback=_day, help="As the seeding `bulletin crawl --since` (give both the same).")
@click.option("--until", callback=_day, help="As the seeding `bulletin crawl --until`.")
@click.option("--only-relevant", is_flag=True, help="As the seeding `bulletin crawl --only-relevant`.")
@with_settings
def worker_crawl(
    settings: Settings,
    sources: tuple[str, ...],
    redis_url: str | None,
    since: date | None,
    until: date | None,
    only_relevant: bool,
) -> None:
    """Fetch from the shared crawl queue in Redis into the archive, until it is idle.

    SOURCES are the source names to work on (none: every enabled source); every worker
    needs the same sources in its config, and the same archive. The worker requests
    nothing of its own: `bulletin crawl SOURCE --redis URL` starts (seeds) a crawl. It
    stops once the queue has been idle for redis.idle_seconds, or after Redis has been
    unreachable for redis.wait_seconds.
    """
    from bulletin.crawl import resolve_targets, run_crawl

    shared = _redis(settings, redis_url)
    if not shared:
        raise BulletinError(
            "worker crawl: no Redis to share the crawl through: give --redis URL or set redis.url"
        )
    if any(name.startswith(("http://", "https://")) for name in sources):
        raise BulletinError(
            "worker crawl: takes source names, not URLs (seed a URL with `bulletin crawl URL --redis`)"
        )
    settings, chosen = resolve_targets(settings, list(sources))
    click.echo(f"worker for {', '.join(t.source.name for t in chosen)} into {shown(settings.db)}", err=True)
    result = run_crawl(
        settings,
        chosen,
        since=since,
        until=until,
        only_relevant=only_relevant,
        command="bulletin worker crawl " + " ".join(sources),
        redis_url=shared,
        worker=True,
    )
    _report_crawl(settings, result)


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

    with Store.open(settings.db, create=False) as store:
        # Configured sources, then those only the archive knows: an ad hoc URL's host.
        adhoc = [name for name in store.crawled_sources() if name not in settings.sources]
        overview = store.source_overview([*settings.sources, *adhoc])
    rows = []
    for row in overview:
        src = settings.sources.get(row["source"])
        rows.append(
            {
                "source": row["source"],
                "kind": src.kind if src is not None else "ad hoc",
                "enabled": src.enabled if src is not None else False,
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

    with Store.open(settings.db, create=False) as store:
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
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes running the pipeline (default: nlp.processes, 1); the records are the same.",
)
@with_settings
def extract(
    settings: Settings, source: str | None, redo: bool, model: str | None, processes: int | None
) -> None:
    """Extract subjects, entities, tactics, penalties, laws and the legal stage.

    With --input, write one JSON record per article to stdout. Without it, process the
    stored articles not yet extracted by the current pipeline version and store the
    records (idempotent; --redo re-extracts all), with a progress bar on a terminal
    and a log line every few seconds otherwise; then link the stories into cases
    (`bulletin cases`). One at a time per archive: a second `bulletin extract` meanwhile is
    refused.

    A record's "stage" is the furthest legal stage the report gives (detention, charge,
    conviction, sentencing, appeal, release), with its evidence, offsets and "date" (ISO,
    as precise as the text: 2023, 2023-04 or 2023-04-11) when the text dates it; "events"
    lists every stage the report gives.
    """
    from bulletin.extracting import extract_input, extract_stored

    model = model or settings["nlp.model"] or None
    processes = processes or settings["nlp.processes"]
    if source is not None:
        count = extract_input(
            source,
            model,
            settings["nlp.batch_size"],
            sys.stdin.buffer,
            sys.stdout,
            processes,
            settings.models_dir,
        )
        skipped = f"; skipped {count.skipped} input records (see above)" if count.skipped else ""
        click.echo(f"extracted {count.done} articles ({count.relevant} relevant){skipped}", err=True)
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
                settings,
                model,
                redo,
                lambda done, total: bar.update(task, completed=done, total=total),
                processes=processes,
            )
    else:
        count = extract_stored(settings, model, redo, processes=processes)
    click.echo(
        f"extracted {count.done} stored articles ({count.relevant} relevant) "
        f"in {count.seconds:.1f} s into {shown(settings.db)}"
        + (
            f"; {count.reviewed} reviewed articles re-checked, {count.conflicts} with conflicts"
            if count.reviewed
            else ""
        )
    )
    from bulletin.cases import relink
    from bulletin.store import Store

    with Store.open(settings.db) as store:
        linked = relink(store)
    click.echo(
        f"linked {linked.stories} stories into {linked.cases} cases ({linked.candidates} candidate links)"
    )
    from bulletin.alerts import check_after_extraction

    alerted = check_after_extraction(settings)
    if alerted is not None and alerted.watchlists:
        click.echo(alerted.summary())


@worker_group.command("extract")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@click.option(
    "--lease",
    type=click.FloatRange(5, 86400),
    default=None,
    help="Seconds this worker holds the articles it claims (default: nlp.claim_lease_seconds).",
)
@click.option(
    "--idle",
    type=click.FloatRange(0, 86400),
    default=0.0,
    show_default=True,
    help="Seconds to keep waiting for new articles once none are left (a crawl running beside it).",
)
@with_settings
def worker_extract(settings: Settings, model: str | None, lease: float | None, idle: float) -> None:
    """Extract pending articles beside other workers, claiming a batch at a time.

    Each worker claims nlp.batch_size articles the current pipeline has not extracted and no
    other worker holds, stores their records and claims the next batch. No article is
    extracted twice; a worker that dies leaves its batch to come back after the lease, to
    whichever worker claims next. Meant for a PostgreSQL archive shared by several machines
    (`--db postgresql://…`); on SQLite the workers take turns at the one write lock. A worker
    stops when nothing is left and no other worker's claim could come back, then links the
    stories into cases. `bulletin extract` stays one process per archive.
    """
    import os
    import socket

    from bulletin.cases import relink
    from bulletin.extracting import work_extract
    from bulletin.store import Store

    worker = f"{socket.gethostname()}:{os.getpid()}"
    lease = lease or float(settings["nlp.claim_lease_seconds"])
    click.echo(f"worker {worker} extracting from {shown(settings.db)} (lease {lease:g} s)", err=True)
    count = work_extract(settings, model or settings["nlp.model"] or None, worker, lease, idle)
    click.echo(
        f"worker {worker} extracted {count.done} articles ({count.relevant} relevant) in {count.batches} "
        f"batches, {count.seconds:.1f} s"
        + (
            f"; {count.reviewed} reviewed articles re-checked, {count.conflicts} with conflicts"
            if count.reviewed
            else ""
        )
    )
    if count.done:
        with Store.open(settings.db) as store:
            linked = relink(store)
        click.echo(
            f"linked {linked.stories} stories into {linked.cases} cases ({linked.candidates} candidate links)"
        )
        from bulletin.alerts import check_after_extraction

        alerted = check_after_extraction(settings)
        if alerted is not None and alerted.watchlists:
            click.echo(alerted.summary())


@cli.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--json", "as_json", is_flag=True, help="The article's JSON record (as one line of export).")
@click.option("--text", "with_text", is_flag=True, help="Also print the article's text.")
@with_settings
def show(settings: Settings, ref: str, as_json: bool, with_text: bool) -> None:
    """Show one stored article with its extraction: by id (see export) or by URL."""
    from bulletin.exporting import article_record
    from bulletin.stage_edits import stage_and_case
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        article = store.find_article(ref)
        if article is None or article.id is None:
            raise BulletinError(f"no article {ref!r} in {shown(settings.db)}")
        stored = store.stored_extraction(article.id)
        stage, case = stage_and_case(store, article.id, article.story_id)
    record = article_record(article, stored)
    if as_json:
        print_json(record)
        return
    for line in show_lines(record, with_text):
        click.echo(line)
        if line.startswith("subjects:"):
            click.echo(f"stage:      {_plain(stage)}")
            click.echo(f"case:       {_plain(case)}")


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


EXPORT_HELP = "jsonl: one object per article; csv: one row per penalty; spacy: a DocBin for spacy train."


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "spacy"]),
    default="jsonl",
    show_default=True,
    help=EXPORT_HELP,
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)."
)
@click.option("--since", callback=_day, help="Only articles published on or after this day (YYYY-MM-DD).")
@click.option("--until", callback=_day, help="Only articles published on or before this day.")
@click.option("--reviewed-only", is_flag=True, help="Only articles whose review an analyst has completed.")
@with_settings
def export(
    settings: Settings,
    fmt: str,
    out: Path | None,
    since: date | None,
    until: date | None,
    reviewed_only: bool,
) -> None:
    """Write the stored articles with their extraction records (corrections applied), streamed.

    jsonl: one JSON object per article: the extraction record's keys (id, relevant, url,
    title, published, subjects, entities, tactics, penalties, laws, relevance) plus source,
    story_id, published_at, fetched_at, byline, section, lang, topic_score,
    pipeline_version, extracted_at, review_status and text. csv: a header, then one row per
    penalty: article_id, url, published, person, kind, months, amount, currency. spacy: a
    DocBin (entities, span groups subjects/tactics/penalties/laws, cats) for spacy train;
    it needs --out, being binary.

    Records are the effective ones: the machine's with the analysts' corrections applied.
    A reviewed jsonl export is also a test set: python -m nlp.evaluate FILE FILE --run
    scores the current pipeline against what analysts confirmed.
    """
    from bulletin.exporting import FORMATS, Selection
    from bulletin.exporting import export as write
    from bulletin.store import Store

    if fmt == "spacy" and out is None:
        raise click.UsageError("--format spacy writes a binary DocBin: give --out FILE.spacy")
    selection = Selection(since, until, reviewed_only)
    with Store.open(settings.db, create=False) as store:
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


# -- case files (issue 12): one prosecution across many reports ----------------------------


def _case_json(summary: CaseSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": summary.title,
        "subjects": list(summary.subjects),
        "stage": summary.stage,
        "stage_date": summary.stage_date,
        "first_published": summary.first_published.isoformat() if summary.first_published else None,
        "last_published": summary.last_published.isoformat() if summary.last_published else None,
        "reports": summary.reports,
        "candidates": summary.candidates,
    }


def _report_json(report: CaseReport) -> dict[str, Any]:
    return {
        "story_id": report.story_id,
        "headline": report.headline,
        "published": report.published_at.isoformat() if report.published_at else None,
        "stage": report.stage,
        "stage_date": report.stage_date,
        "stage_evidence": report.stage_evidence,
        "events": list(report.events),
        "status": report.status,
        "score": report.score,
        "reasons": list(report.reasons),
        "links": [
            {
                "source": link.source,
                "url": link.url,
                "title": link.title,
                "published": link.published_at.isoformat() if link.published_at else None,
            }
            for link in report.links
        ],
    }


def _when(moment: Any) -> str:
    return moment.date().isoformat() if moment is not None else "-"


@cli.command("cases")
@click.option("--since", callback=_day, help="Only cases with a report published on or after this day.")
@click.option("--stage", type=click.Choice(STAGE_LABELS), help="Only cases whose latest stage this is.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per case.")
@with_settings
def cases_command(settings: Settings, since: date | None, stage: str | None, as_json: bool) -> None:
    """List case files (the stories of one prosecution, linked) with their latest stage.

    Cases are linked after each extraction (`bulletin extract`, `bulletin run`); `bulletin
    case relink` links the whole archive again. Stages: detention (arrest), charge
    (indictment), conviction (plea or verdict), sentencing, appeal, release (or deportation).
    """
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        summaries = store.case_summaries(since, stage)
    if as_json:
        print_json([_case_json(s) for s in summaries])
        return
    out = table(
        "case",
        "stage",
        "stage date",
        "reports",
        "first",
        "last",
        "candidates",
        "title",
        numeric=("case", "reports", "candidates"),
    )
    for s in summaries:
        out.add_row(
            *cells(
                s.id,
                s.stage,
                s.stage_date,
                s.reports,
                _when(s.first_published),
                _when(s.last_published),
                s.candidates,
                _plain(s.title),
            )
        )
    emit(out)


class CaseGroup(click.Group):
    """`bulletin case ID` shows a case; its other subcommands change which stories are one case."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


@cli.group("case", cls=CaseGroup)
def case_group() -> None:
    """Show one case's timeline (`bulletin case ID`), or correct the linking: merge, split,
    confirm or reject a candidate. A correction is kept in the archive and every relink obeys
    it; the case's id is its earliest report's story id."""


@case_group.command("show")
@click.argument("case_id", type=int, metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="The case and its timeline as one JSON object.")
@with_settings
def case_show(settings: Settings, case_id: int, as_json: bool) -> None:
    """Print a case's timeline: each report's stage, date and every source link."""
    from dataclasses import replace

    from bulletin.stage_edits import with_analyst_stages
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        case = store.case_file(case_id)
        if case is None:
            story = store.story_case(case_id)
            case = store.case_file(story) if story is not None else None
        if case is not None:
            case = replace(case, reports=with_analyst_stages(store, case.reports))
    if case is None:
        raise BulletinError(f"no case {case_id} in {shown(settings.db)} (see `bulletin cases`)")
    if as_json:
        print_json(
            {
                **_case_json(case.summary),
                "timeline": [_report_json(r) for r in case.reports],
                "candidates": [_report_json(r) for r in case.candidates],
            }
        )
        return
    s = case.summary
    click.echo(f"case {s.id}: {_plain(s.title)}")
    click.echo(f"  latest stage: {s.stage or '-'}" + (f" ({s.stage_date})" if s.stage_date else ""))
    count = f"{s.reports} report{'s' if s.reports != 1 else ''}"
    click.echo(f"  {count}, {_when(s.first_published)} to {_when(s.last_published)}")
    for title, reports in (
        ("timeline", case.reports),
        ("candidate reports (confirm or reject)", case.candidates),
    ):
        if not reports:
            continue
        click.echo(f"{title}:")
        for r in reports:
            stage = r.stage or "no stage"
            if r.stage_date:
                stage += f" {r.stage_date}"
            score = "" if r.score >= 1.0 and r.status == "linked" else f" [score {r.score:.2f}]"
            click.echo(
                f"  {_when(r.published_at)}  {stage}: {_plain(r.headline)} (story {r.story_id}){score}"
            )
            for event in r.events:
                if event.get("label") != r.stage:
                    when = f" {_plain(event['date'])}" if event.get("date") else ""
                    click.echo(
                        f"      also {_plain(event.get('label'))}{when}: {_plain(event.get('evidence', ''))}"
                    )
            for link in r.links:
                click.echo(f"      {_plain(link.source)}: {_plain(link.url)}")
            if r.status == "candidate" or r.score < 1.0:
                click.echo(f"      matched on: {_plain('; '.join(r.reasons))}")


@case_group.command("merge")
@click.argument("case_a", type=int)
@click.argument("case_b", type=int)
@click.option("--note", default="", help="Why (kept with the correction).")
@with_settings
def case_merge(settings: Settings, case_a: int, case_b: int, note: str) -> None:
    """Make two cases one; they stay one across relinking."""
    from bulletin.cases import merge_cases
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        merged = merge_cases(store, case_a, case_b, note)
    click.echo(f"cases {case_a} and {case_b} are now case {merged}")


@case_group.command("split")
@click.argument("case_id", type=int)
@click.argument("story_ids", type=int, nargs=-1, required=True)
@click.option("--note", default="", help="Why (kept with the correction).")
@with_settings
def case_split(settings: Settings, case_id: int, story_ids: tuple[int, ...], note: str) -> None:
    """Move these stories (see `bulletin case ID`) out of a case into a case of their own."""
    from bulletin.cases import split_case
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        new = split_case(store, case_id, list(story_ids), note)
    click.echo(f"stories {', '.join(map(str, story_ids))} split from case {case_id} into case {new}")


@case_group.command("confirm")
@click.argument("story_id", type=int)
@click.argument("case_id", type=int)
@click.option("--note", default="", help="Why (kept with the correction).")
@with_settings
def case_confirm(settings: Settings, story_id: int, case_id: int, note: str) -> None:
    """Confirm a candidate link: the story is part of the case."""
    from bulletin.cases import confirm_candidate
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        now = confirm_candidate(store, story_id, case_id, note)
    click.echo(f"story {story_id} is in case {now}")


@case_group.command("reject")
@click.argument("story_id", type=int)
@click.argument("case_id", type=int)
@click.option("--note", default="", help="Why (kept with the correction).")
@with_settings
def case_reject(settings: Settings, story_id: int, case_id: int, note: str) -> None:
    """Reject a candidate link: the story is not part of the case (kept across relinking)."""
    from bulletin.cases import reject_candidate
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        now = reject_candidate(store, story_id, case_id, note)
    click.echo(f"story {story_id} is not in case {case_id}; it is in case {now}")


@case_group.command("relink")
@with_settings
def case_relink(settings: Settings) -> None:
    """Link the whole archive into cases again (the analyst's corrections kept)."""
    from bulletin.cases import relink
    from bulletin.store import Store

    with Store.open(settings.db, create=False) as store:
        result = relink(store)
    click.echo(
        f"linked {result.stories} stories into {result.cases} cases "
        f"({result.candidates} candidate links) in {result.seconds:.2f} s"
    )


@cli.command("train")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@click.option("--json", "as_json", is_flag=True, help="The scores before and after as JSON.")
@with_settings
def train_command(settings: Settings, model: str | None, as_json: bool) -> None:
    """Teach the extraction the analysts' corrections: retrain who-is-the-defendant,
    whose-sentence-is-it and which-tactic-cues-narrate from the archive's reviewed articles.

    A quarter of the reviewed articles (fixed by id) is held back; the rest join the examples
    the shipped classifiers were trained on. The new classifiers are installed into nlp.models
    (default: models/ beside the archive), which extraction reads before the shipped ones,
    only when they score better on the held-back articles (mean of subjects, penalties and
    tactics F1); otherwise nothing changes. Then `bulletin extract --redo` uses them.
    """
    from bulletin.retrain import TrainResult, train

    result = train(
        settings, model or settings["nlp.model"] or None, say=lambda line: click.echo(line, err=True)
    )
    if as_json:
        print_json(
            {
                "reviewed": result.reviewed,
                "trained_on": result.trained_on,
                "held_back": result.held_back,
                "before": result.before,
                "after": result.after,
                "installed": result.installed,
                "models_dir": str(result.models_dir),
            }
        )
    else:
        for line in result.alignment:
            click.echo(line, err=True)
        grid = table("field", "before", "after", numeric=("before", "after"))
        for field in ("subjects", "penalties", "tactics"):
            grid.add_row(
                *cells(f"{field} F1", f"{result.before[field]['f1']:.3f}", f"{result.after[field]['f1']:.3f}")
            )
        grid.add_row(
            *cells(
                "relevance accuracy",
                f"{result.before['relevance_accuracy']:.3f}",
                f"{result.after['relevance_accuracy']:.3f}",
            )
        )
        emit(grid)
    before, after = TrainResult.headline(result.before), TrainResult.headline(result.after)
    if result.installed:
        click.echo(
            f"installed the new classifiers in {result.models_dir}: {after:.3f} against {before:.3f} on "
            f"{result.held_back} held-back reviewed articles; `bulletin extract --redo` uses them",
            err=True,
        )
    else:
        click.echo(
            f"kept the classifiers in use: the new ones score {after:.3f} against {before:.3f} on "
            f"{result.held_back} held-back reviewed articles",
            err=True,
        )


@cli.command()
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for each source and SMTP.")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@with_settings
def doctor(settings: Settings, timeout: float, model: str | None) -> None:
    """Check the setup: model, archive, each enabled source, SMTP, what the watchlists need to
    deliver; nothing is crawled or sent.

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
    with Store.open(settings.db, create=False) as store:
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
    click.echo(digest_summary(chosen.kind, chosen.label, built), err=True)


def digest_summary(kind: str, label: str, built: Digest) -> str:
    """The digest command's last line: which period, which window of cases, how many.

    "daily digest 2026-12-06, cases that reached the archive from 2026-12-06 07:00 to
    2026-12-07 07:00 (UTC+08:00): 3 new cases and 1 update to known cases"
    """
    from digest.render import selection_words

    updates = sum(1 for case in built.cases if case.history)
    counts = f"{len(built.cases) - updates} new case{'' if len(built.cases) - updates == 1 else 's'}"
    if updates:
        counts += f" and {updates} update{'' if updates == 1 else 's'} to known cases"
    return f"{kind} digest {label}, cases {selection_words(built)}: {counts}"


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
        overrides = {"schedule.cron": cron, "schedule.timezone": zone, "store.path": str(settings.db)}
        settings = load_settings(settings.files[-1] if settings.files else None, overrides=overrides)
    serve(settings, send=send)


@cli.command()
@click.option("--host", help="Address to bind (default: review.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: review.port, 8765).")
@click.option(
    "--reviewer", help="Name recorded with your corrections (default: review.reviewer, else your login)."
)
@click.option(
    "--suggest-patterns",
    "suggest",
    is_flag=True,
    help="Print wording reviewers repeatedly added, fixed or rejected, as candidate rules; no server.",
)
@click.option(
    "--min-articles",
    default=2,
    show_default=True,
    help="With --suggest-patterns: seen in this many articles.",
)
@click.option("--json", "as_json", is_flag=True, help="With --suggest-patterns: JSON Lines.")
@with_settings
def review(
    settings: Settings,
    host: str | None,
    port: int | None,
    reviewer: str | None,
    suggest: bool,
    min_articles: int,
    as_json: bool,
) -> None:
    """Open the review page: go through the extractions, accept, reject, edit or add items.

    Corrections are stored beside the machine's records, never over them, and flow into
    the digest, the Atom feed and `bulletin export` (--reviewed-only for the checked ones).
    The page binds loopback and answers only requests naming a loopback host (or --host).
    Any other address needs a token on every request: review.token (BULLETIN_REVIEW_TOKEN,
    at least 32 characters), else one made for the run and printed once. Request bodies
    over 256 KB, more than 100 form fields and over-long fields are refused. Keys: a accept,
    x reject, space skip, u undo, j/k next/previous item, e edit, n add, ? all keys.
    The page has a search box (/search); a read-only JSON API is under /api/ (articles,
    search, cases), described at /api/openapi.json, with the same token.
    """
    import getpass

    from bulletin.store import Store

    if suggest:
        from bulletin.review.suggestions import suggestions

        with Store.open(settings.db, create=False) as store:
            found = suggestions(store, min_articles)
        for candidate in found:
            if as_json:
                click.echo(json.dumps(candidate.to_json(), ensure_ascii=False))
            else:
                click.echo(
                    f"{candidate.why:6s} {candidate.kind:7s} {candidate.label:28s} "
                    f"{len(candidate.articles):3d} articles  {_plain(candidate.phrase)}  "
                    + json.dumps({"label": candidate.label, "pattern": candidate.pattern}, ensure_ascii=False)
                )
        click.echo(f"{len(found)} candidate patterns from the corrections in {shown(settings.db)}", err=True)
        return
    import secrets

    from waitress import serve

    from bulletin.review import LOOPBACK, MAX_BODY_BYTES, create_app

    host = host or settings["review.host"]
    port = port if port is not None else settings["review.port"]
    token = settings["review.token"]
    generated = host not in LOOPBACK and not token
    if generated:
        token = secrets.token_urlsafe(32)
    name = reviewer or settings["review.reviewer"] or getpass.getuser()
    app = create_app(str(settings.db), name, token, host=host)
    address = "[::1]" if host == "::1" else host
    url = f"http://{address}:{port}/"
    if generated:  # the only place it is ever shown: the URL drops it once it is used
        url += f"?token={token} (a token made for this run: the page needs it)"
    elif token:
        url += " (open it with ?token=<review.token> once)"
    click.echo(f"review page: {url} (reviewing as {name}; Ctrl-C to stop)", err=True)
    try:
        # waitress refuses a bigger body itself (413), before buffering any of it.
        serve(app, host=host, port=port, threads=4, max_request_body_size=MAX_BODY_BYTES, _quiet=True)
    except OSError as exc:
        raise BulletinError(f"review: cannot listen on {host}:{port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        click.echo("review page stopped", err=True)


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
    digest of the whole sample archive into OUT/digest. Every file stays in OUT. A rerun
    serves the sites on the same ports when they are free and adds nothing to the archive
    (when a port is taken, the archive is rebuilt: its URLs name the ports).
    """
    from bulletin.demo import run_demo

    sys.exit(run_demo(out))


def _register_commands() -> None:
    """Commands in modules of their own (bulletin/commands/): imported here, after the helpers
    of this module they use."""
    from bulletin.commands import trends, watch
    from bulletin.commands.search import search_cli

    cli.add_command(search_cli)
    cli.add_command(watch.watch_group)
    cli.add_command(trends.trends_command)


_register_commands()

if __name__ == "__main__":
    cli()
