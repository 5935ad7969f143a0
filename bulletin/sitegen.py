"""Generate a Global Times-shaped site of N articles, for the crash test and the crawl benchmark.

Pages use the real site's markup (see tests/fixtures/sites/globaltimes): section pages
with ``a.new_title_ms`` links (at most ``PER_SECTION`` each, as the real site shows about
90) and article pages with ``div.article_title`` and a ``<br /><br />``-separated body.
Each article's text is different enough that near-duplicate detection keeps them apart.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

PER_SECTION = 90
FIRST_ID = 1_400_000
WORDS = [
    "state",
    "security",
    "authorities",
    "investigation",
    "court",
    "sentenced",
    "prison",
    "years",
    "espionage",
    "foreign",
    "agency",
    "engineer",
    "researcher",
    "documents",
    "classified",
    "network",
    "consulting",
    "contract",
    "payment",
    "project",
    "cooperation",
    "online",
    "recruitment",
    "message",
    "meeting",
    "province",
    "city",
    "company",
    "institute",
    "laboratory",
    "satellite",
    "shipyard",
    "defense",
    "industry",
    "data",
    "report",
    "secret",
    "officials",
    "evidence",
    "custody",
    "trial",
    "appeal",
    "confiscated",
    "property",
    "rights",
    "political",
    "reprieve",
    "citizens",
    "vigilance",
    "hotline",
    "ministry",
    "department",
    "unit",
    "colleague",
    "former",
    "retired",
    "student",
    "professor",
    "conference",
    "overseas",
    "exchange",
    "encrypted",
    "alias",
    "channel",
    "camera",
    "photographs",
]
SURNAMES = [
    "Feng",
    "Jiang",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
]

ARTICLE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} - Global Times</title>
<meta id="MetaAuthor" name="author" content="Global Times"></head>
<body><div class="article_page"><div class="article">
<div class="article_top">
<div class="article_column">CHINA / SOCIETY</div>
<div class="article_title">{title}</div>
<div class="author_share"><div class="author_share_left">
<span class="byline">By Global Times</span>
<span class="pub_time">Published: {published}</span>
</div></div></div>
<div class="article_content"><div class="article_right">{body}</div></div>
</div></div></body></html>
"""

SECTION = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Section {n} - Global Times</title></head>
<body><div class="list_content"><div class="level01_list"><ul>
{items}
</ul></div></div></body></html>
"""
ITEM = (
    '<li><div class="list_info"><a class="new_title_ms" href="{{{{base}}}}{path}">{title}</a>'
    '<p>{title}</p><div class="source_time">By Global Times | {stamp}</div></div></li>'
)


def generate_site(root: Path, articles: int, seed: int = 7) -> list[str]:
    """Write ``articles`` article pages plus section pages under ``root``; return the section paths."""
    rng = random.Random(seed)  # noqa: S311 (filler text, not security)
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    start = datetime(2025, 1, 1, 8, 0)
    sections: list[str] = []
    items: list[str] = []
    for i in range(articles):
        published = start + timedelta(hours=7 * i)
        path = f"/page/{published:%Y%m}/{FIRST_ID + i}.shtml"
        name = rng.choice(SURNAMES)
        title = f"Case {i}: person surnamed {name} sentenced in espionage case"
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 80))).capitalize() + "."
            for _ in range(6)
        ]
        body = "<br /><br />".join(paragraphs)
        page = ARTICLE.format(title=title, published=published.strftime("%b %d, %Y %I:%M %p"), body=body)
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        items.append(ITEM.format(path=path, title=title, stamp=f"{published:%Y/%-m/%-d %H:%M:%S}"))
        if len(items) == PER_SECTION or i == articles - 1:
            section = f"s{len(sections)}/"
            (root / section).mkdir(exist_ok=True)
            (root / section / "index.html").write_text(
                SECTION.format(n=len(sections), items="\n".join(items)), encoding="utf-8"
            )
            sections.append(section)
            items = []
    return sections
