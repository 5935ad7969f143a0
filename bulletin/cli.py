"""The ``bulletin`` command: a thin click layer over crawl, store and the other stages."""

from __future__ import annotations

import logging
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import click

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


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@click.group(cls=BulletinGroup)
@click.version_option(__version__, prog_name="bulletin")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="TOML config file (default: $BULLETIN_CONFIG or ~/.config/bulletin/config.toml).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="SQLite archive (default: store.path, $BULLETIN_DB).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db: str | None, verbose: int, quiet: bool) -> None:
    """Bulletin Watch: crawl, extract and digest public security bulletins."""
    configure_logging(verbose, quiet)
    ctx.obj = load_settings(config_path, overrides={"store.path": db})


@cli.command()
@click.argument("targets", nargs=-1)
@click.option("--since", callback=_day, help="Back-fill from this day (YYYY-MM-DD) via site search and APIs.")
@click.option("--until", callback=_day, help="Ignore articles published after this day.")
@click.option("--refresh", is_flag=True, help="Fetch articles again even if already stored.")
@click.option("--only-relevant", is_flag=True, help="Store only articles that report a security case.")
@click.pass_obj
def crawl(
    settings: Settings,
    targets: tuple[str, ...],
    since: date | None,
    until: date | None,
    refresh: bool,
    only_relevant: bool,
) -> None:
    """Crawl sources into the archive.

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
    click.echo(summary_table(result.stats))
    click.echo(
        f"run {result.run_id} {result.status}: {sum(s.new for s in result.stats)} new articles "
        f"in {settings.db_path}"
    )
    if result.status != "finished":
        sys.exit(1)


def summary_table(rows: list[CrawlStats]) -> str:
    """The end-of-run table: one line per source, drops and errors broken down by reason."""
    head = ("source", "requested", "new", "updated", "dups", "skipped", "dropped", "errors")
    lines = [head]
    for s in rows:
        dropped = _breakdown(s.dropped)
        errors = _breakdown(s.error_kinds)
        lines.append(
            (
                s.source + (" [blocked]" if s.blocked else ""),
                str(s.requested),
                str(s.new),
                str(s.updated),
                str(s.duplicates),
                str(s.skipped),
                dropped,
                errors,
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines
    )


def _breakdown(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")"


@cli.command()
@click.pass_obj
def sources(settings: Settings) -> None:
    """List sources with their last crawl, article counts and health."""
    from bulletin.crawl import health
    from bulletin.store import Store

    with Store.open(settings.db_path) as store:
        overview = store.source_overview(settings.sources)
    head = ("source", "kind", "enabled", "articles", "relevant", "last crawl", "health")
    lines = [head]
    for row in overview:
        src = settings.sources[row["source"]]
        lines.append(
            (
                row["source"],
                src.kind,
                "yes" if src.enabled else "no",
                str(row["articles"]),
                str(row["relevant"]),
                (row["last_crawl"] or "-")[:19],
                health(row["last"]),
            )
        )
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    for r in lines:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


@cli.command()
@click.option("--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--crawls", is_flag=True, help="List crawl runs with per-source figures instead.")
@click.pass_obj
def runs(settings: Settings, limit: int, crawls: bool) -> None:
    """List recent pipeline runs (`bulletin run`/schedule), or crawl runs with --crawls."""
    from bulletin.store import Store

    with Store.open(settings.db_path) as store:
        if crawls:
            for run in store.runs(limit):
                click.echo(
                    f"crawl {run['id']}  {run['started_at'][:19]}  {run['status']}  {run['command'] or ''}"
                )
                for line in summary_table(store.run_stats(run["id"])).splitlines()[1:]:
                    click.echo("    " + line)
            return
        for run in store.pipeline_runs(limit):
            click.echo(
                f"run {run['id']}  {run['started_at'][:19]}  {run['trigger']:8s} {run['status']:22s} "
                f"{run['period'] or ''}  crawl {run['crawl_run_id'] or '-'}, {run['extracted']} extracted, "
                f"{run['cases']} cases"
            )
            for problem in run["problems"]:
                click.echo(f"    problem: {problem}")


@cli.command()
@click.option(
    "--input",
    "source",
    metavar="FILE|-",
    help="Plain text, an HTML page or JSON Lines (text, id, url, title, published); - for stdin.",
)
@click.option("--redo", is_flag=True, help="Re-extract every stored article (after the rules change).")
@click.option("--model", default=None, help="spaCy model to load (default: nlp.model setting).")
@click.pass_obj
def extract(settings: Settings, source: str | None, redo: bool, model: str | None) -> None:
    """Extract subjects, entities, tactics, penalties and laws.

    With --input, write one JSON record per article to stdout. Without it, process the
    stored articles not yet extracted by the current pipeline version and store the
    records (idempotent; --redo re-extracts all).
    """
    from bulletin.extracting import extract_input, extract_stored

    model = model or settings["nlp.model"] or None
    if source is not None:
        count = extract_input(source, model, settings["nlp.batch_size"], sys.stdin.buffer, sys.stdout)
        click.echo(f"extracted {count.done} articles ({count.relevant} relevant)", err=True)
    else:
        count = extract_stored(settings, model, redo)
        click.echo(
            f"extracted {count.done} stored articles ({count.relevant} relevant) "
            f"in {count.seconds:.1f} s into {settings.db_path}"
        )


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
@click.option("--resend", is_flag=True, help="With --send: send even if this period was sent before.")
@click.pass_obj
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
    with Store.open(settings.db_path) as store:
        built = build_digest(store, chosen)
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
@click.pass_obj
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
@click.pass_obj
def schedule(settings: Settings, cron: str | None, zone: str | None, send: bool) -> None:
    """Run `bulletin run` on a cron, unattended, until SIGTERM or Ctrl-C."""
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
