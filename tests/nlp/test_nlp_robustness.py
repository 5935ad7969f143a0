"""extract() never raises, keeps order and count, and every offset points at its evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ignore_error

from nlp import extract
from nlp.pipeline import add_components

NASTY = [
    "",
    "   \n\t  ",
    "\x00\x01\x02 sentenced to \x7f six years \u200b in prison",
    "\u56fd\u5bb6\u5b89\u5168\u673a\u5173\u7834\u83b7\u4e00\u8d77\u95f4\u8c0d\u6848",
    "\ud800 lone surrogate, surnamed Feng, was sentenced to six years in prison for espionage",
    "surnamed " * 50,
    "$$$ \u00a5\u00a5 NT$ US$ years years months and a half respectively each the two",
]


def _check(text: str, record: dict[str, Any]) -> None:
    for field in ("entities", "tactics", "penalties", "laws"):
        for found in record[field]:
            assert 0 <= found["start"] <= found["end"] <= len(text)
            assert text[found["start"] : found["end"]] == found.get("evidence", found.get("text"))


def test_nasty_inputs(real_nlp: Language) -> None:
    items: list[Any] = [{"id": str(i), "text": t} for i, t in enumerate(NASTY)]
    items += [
        {"id": "none"},
        {"id": "int", "text": 5},
        "not a dict",
        {"id": "huge", "text": "a " * 600_000},
    ]
    records = [r.to_json() for r in extract(real_nlp, items, batch_size=3)]
    assert len(records) == len(items)
    for item, record in zip(items, records, strict=True):
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            assert record["id"] == item["id"]
            _check(item["text"], record)
    assert records[-1]["relevant"] is False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=400), min_size=1, max_size=4))
def test_arbitrary_text_never_crashes(real_nlp: Language, texts: list[str]) -> None:
    records = [r.to_json() for r in extract(real_nlp, ({"text": t} for t in texts), batch_size=2)]
    assert len(records) == len(texts)
    for text, record in zip(texts, records, strict=True):
        _check(text, record)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "A man surnamed Feng spied for a foreign agency.",
                " He was sentenced to five and a half years in prison",
                ", deprived of political rights for life",
                " and fined RMB 300,000 ($41,000).",
                " Feng and Jiang were sentenced to six years and two years respectively.",
                " The two faced up to 10 years.",
                "\n![x](y.png)\nPhoto: VCG\n",
                " They offered him a consulting fee",
                "\x0b\u2028",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_case_like_text_offsets(real_nlp: Language, text: str) -> None:
    (record,) = [r.to_json() for r in extract(real_nlp, [{"text": text}])]
    _check(text, record)


def test_failing_component_yields_empty_record(blank_nlp: Language) -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    add_components(nlp)

    @Language.component("test_boom")
    def boom(doc: Doc) -> Doc:
        if "BOOM" in doc.text:
            raise RuntimeError("boom")
        return doc

    nlp.add_pipe("test_boom", first=True)
    nlp.set_error_handler(ignore_error)

    def items() -> Iterator[dict[str, str]]:
        yield {
            "id": "a",
            "text": "A man surnamed Li was sentenced to six years in prison for espionage.",
        }
        yield {"id": "b", "text": "BOOM"}
        yield {
            "id": "c",
            "text": "A man surnamed Hu was sentenced to two years in prison for espionage.",
        }

    records = [r.to_json() for r in extract(nlp, items())]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[1]["relevant"] is False
    assert records[0]["penalties"][0]["person"] == "Li"
