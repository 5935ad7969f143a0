"""The offline demo: serve the bundled sample sites on loopback and run the main job against them."""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from bulletin.errors import BulletinError
from bulletin.sample_server import SampleServer
from bulletin.store import Store

logger = logging.getLogger(__name__)

# The ports the demo served the sample sites on, beside its archive: a rerun serves them on
# the same ports when they are free, so the archive's URLs stay the same and nothing is added.
PORTS_FILE = "sample-ports.json"

# Which sample site stands in for each configured source, and its search host.
DEMO_SOURCES = {
    "globaltimes": ("globaltimes", "globaltimes-search"),
    "chinadaily": ("chinadaily", "chinadaily-search"),
    "doj": ("doj", None),
}


def sample_root() -> Path:
    """The bundled sample sites: inside an installed wheel, or tests/fixtures/sites in a checkout."""
    packaged = resources.files("bulletin").joinpath("sample_sites")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sites"
    if checkout.is_dir():
        return checkout
    raise BulletinError("the bundled sample sites are missing from this installation")


def demo_config(server: SampleServer, db: Path) -> str:
    """A config file pointing every source at the sample server, with politeness delays off.

    Every file it names (archive, digests) is in the demo's folder, beside the archive.
    """
    lines = [
        "[store]",
        f'path = "{db.as_posix()}"',
        "",
        "[digest]",
        f'out_dir = "{(db.parent / "digest").as_posix()}"',
        "",
        "[crawl]",
        "download_delay = 0.0",
        "autothrottle = false",
        "concurrency_per_domain = 8",
        "timeout = 5.0",
        "retries = 1",
        "max_page_bytes = 1048576",
        "progress_seconds = 5.0",
    ]
    for source, (site, search) in DEMO_SOURCES.items():
        if site not in server.sites:
            continue
        lines += ["", f"[sources.{source}]", f'base_url = "{server.base(site)}"']
        if search and search in server.sites:
            lines.append(f'search_url = "{server.base(search)}"')
        if source in ("globaltimes", "chinadaily"):
            lines.append('sections = ["china/", "china/politics/", "world/"]')
    if "generic" in server.sites:
        base = server.base("generic")
        lines += [
            "",
            "[sources.sample-generic]",
            'kind = "generic"',
            f'base_url = "{base}"',
            f'feeds = ["{base}/feed.xml"]',
            f'listings = ["{base}/news/index.html"]',
            'link_pattern = "/news/[^/]+$"',
            'timezone = "Europe/London"',
        ]
    return "\n".join(lines) + "\n"


def run_demo(out: Path) -> int:
    """The main job on the sample sites: crawl, extract, render the digest; return an exit code.

    Each step is the `bulletin` command a user would type, run as a child process
    (Scrapy's reactor cannot be restarted, so a crawl never shares a process).
    """
    out.mkdir(parents=True, exist_ok=True)
    db = (out / "bulletin.db").resolve()
    config = out / "demo-config.toml"
    ports_file = out / PORTS_FILE
    bulletin = [sys.executable, "-m", "bulletin", "--config", str(config)]
    before = _read_ports(ports_file)
    with SampleServer(sample_root(), ports=before) as server:
        if server.ports() != before:
            _fresh_archive(db, moved=bool(before))
        ports_file.write_text(json.dumps(server.ports(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        config.write_text(demo_config(server, db), encoding="utf-8")
        print(
            f"sample sites served on loopback: {', '.join(server.base(n) for n in server.sites)}",
            file=sys.stderr,
        )
        crawl = subprocess.call([*bulletin, "crawl"])  # noqa: S603 (our interpreter, our arguments)
        print(
            "The sample sites include deliberately awkward pages (a 404, a 500, a timeout, a huge page,\n"
            "a bot challenge, a GBK page declared UTF-8...): the warnings above are those, counted\n"
            "in the table rather than failing the run."
        )
    steps = [crawl, subprocess.call([*bulletin, "extract"])]  # noqa: S603
    with Store.open(db) as store:
        span = store.published_range()
    if span is not None:
        # The sample articles are from early 2025: one digest over the whole archive.
        first, last = (moment.date().isoformat() for moment in span)
        steps.append(
            subprocess.call(  # noqa: S603
                [*bulletin, "digest", "--since", first, "--until", last, "--out", str(out / "digest")]
            )
        )
    subprocess.call([*bulletin, "sources"])  # noqa: S603
    print(f"demo archive: {db}\nconfig used: {config}\ndigest: {out / 'digest'}")
    print("\nThe demo's archive is not your default one; to look at it again, give its config:")
    for command in follow_up_commands(config, _a_case(db)):
        print(f"  {command}")
    return next((code for code in steps if code != 0), 0)


def _read_ports(path: Path) -> dict[str, int]:
    """The ports the previous demo served the sample sites on (none: first run)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _fresh_archive(db: Path, moved: bool) -> None:
    """Start the demo archive again when the sample sites moved to other ports.

    Articles are keyed by URL, and a sample site's URLs hold its port: crawling the same
    pages at new addresses would store every article a second time. The demo archive holds
    nothing but the sample sites, so it is rebuilt rather than doubled.
    """
    if not db.exists():
        return
    if moved:
        print(
            "the sample sites' previous ports are taken: the demo archive is rebuilt "
            "(its URLs name the ports), not added to",
            file=sys.stderr,
        )
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)


def _a_case(db: Path) -> int | None:
    """The id of the first article the extraction found relevant, to show as an example."""
    if not db.exists():
        return None
    with Store.open(db) as store:
        return next(
            (a.id for a, e in store.export_rows() if e is not None and e.record.get("relevant")), None
        )


def bulletin_command() -> str:
    """How to type `bulletin` in this shell: the bare name when it is this one on PATH."""
    script = Path(sys.executable).parent / "bulletin"
    if not script.is_file():
        return f"{shlex.quote(sys.executable)} -m bulletin"
    on_path = shutil.which("bulletin")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "bulletin"
    return shlex.quote(str(_shown(script)))


def _shown(path: Path) -> Path:
    """``path`` relative to the working folder when inside it (shorter to paste), else absolute."""
    path = path.absolute()
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def follow_up_commands(config: Path, article_id: int | None = None) -> list[str]:
    """Copy-pasteable commands that read the demo's archive (through its config)."""
    exe, cfg = bulletin_command(), shlex.quote(str(_shown(config)))
    commands = [
        f"{exe} sources --config {cfg}",
        f"{exe} runs --crawls --config {cfg}",
    ]
    if article_id is not None:
        commands.append(f"{exe} show {article_id} --config {cfg}")
    out = _shown(config.parent)
    commands += [
        f"{exe} export --format jsonl --config {cfg} --out {shlex.quote(str(out / 'articles.jsonl'))}",
        f"{exe} export --format csv --config {cfg} --out {shlex.quote(str(out / 'penalties.csv'))}",
    ]
    return commands
