"""Each markup variant of a site's article pages (expected.toml ``[[<site>.variant]]``) read right."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.spiders.globaltimes import body_paragraphs, sentence_like
from tests.conftest import load_expected
from tests.crawler.oracle import mismatches
from tests.crawler.test_body_text import SPIDERS, parsed
from tests.crawler.test_parsing import page, spider_for

VARIANTS = [(site, entry) for site in SPIDERS for entry in load_expected()[site].get("variant", [])]


@pytest.mark.parametrize(("site", "entry"), VARIANTS, ids=[e["path"] for _, e in VARIANTS])
def test_variant_page_is_read_as_its_oracle_says(site: str, entry: dict[str, Any]) -> None:
    spider = spider_for(SPIDERS[site])
    article = parsed(spider, site, entry["path"])
    assert mismatches(article, entry) == []
    assert article.lang == entry.get("lang", "en")
    assert entry["markup"] in ("real", "guess")
    assert not spider.crawler.stats.get_value("bulletin/body_suspect")


def test_a_sentence_beside_a_picture_is_never_a_caption() -> None:
    picture = "\ue000picture\ue000"
    lead = (
        "A court in the province on Wednesday handed a former official an 11-year prison sentence "
        "for selling secrets, the court said."
    )
    assert sentence_like(lead)
    # Right after a picture and before a credit line: still kept, it reads as a sentence.
    assert body_paragraphs([picture, lead, "Photo: VCG", "More."]) == [lead, "More."]
    # The short line there is a caption: a picture before it, its credit after it.
    assert body_paragraphs([picture, "Police outside a checkpoint", "Photo: VCG", lead]) == [lead]
    # A short line after a picture with no credit beside it is kept: nothing proves it a caption.
    assert body_paragraphs([picture, "Guo was paid 500 yuan.", lead]) == ["Guo was paid 500 yuan.", lead]
    # Ends with its credit: a caption, even with a full stop.
    assert body_paragraphs(["Visitors at the fair on Sunday. Photo: VCG", lead]) == [lead]


def test_text_inside_a_picture_is_kept_when_it_reads_as_a_sentence() -> None:
    """Unclosed markup can pull the lead inside the picture element: it must stay."""
    lead = (
        "A court in East China's Zhejiang Province on Wednesday handed a former technician surnamed "
        "Zhou an 11-year prison sentence for selling data, the court said."
    )
    html = (
        '<html><head><meta name="description" content="A court in East China"></head><body>'
        '<div class="article_title">Court jails technician</div><div class="article_right">'
        f'<div class="picture"><img src="x.jpg"><br>Photo: Xinhua<br><br>{lead}<br><br>'
        "The court also deprived him of political rights for three years, the statement said.</div>"
    )
    response = page("globaltimes", "/page/202503/1330711.shtml")
    response = response.replace(body=html.encode())
    article = next(iter(spider_for(SPIDERS["globaltimes"]).parse_article(response)))
    assert article.text.split("\n\n")[0] == lead
    assert "Photo:" not in article.text
