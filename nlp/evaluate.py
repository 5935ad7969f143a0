"""Score extraction records against gold labels, optionally running the pipeline first.

    python -m nlp.evaluate GOLD PRED [--misses] [--json]
    python -m nlp.evaluate GOLD INPUT --run [--out PRED] [--model NAME] [--misses] [--json]

GOLD has one label line per article (``id``, ``relevant``, ``subjects``, ``tactics``,
``penalties``); PRED has extraction records (``bulletin extract`` output) with the same ids,
and a missing prediction counts as empty. With ``--run`` the second argument is the pipeline's
input instead (JSON Lines with ``id`` and ``text``, a set's folder holding ``input.jsonl``, or
a folder of ``*.json`` records), which is extracted and then scored. The figures are micro
precision, recall and F1 per field over the whole set, and the relevance accuracy.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from nlp.pipeline import build_nlp, extract

logger = logging.getLogger(__name__)

Record = dict[str, Any]

# The fields scored, in the order they are reported. ``penalties`` must match person, kind and
# value; ``penalties_unattributed`` only kind and value, so it separates attribution errors
# from finding the wrong sentence.
FIELDS = ("subjects", "tactics", "penalties", "penalties_unattributed")

_HONORIFIC = re.compile(r"^(mr|mrs|ms|dr|prof)\.?\s+", re.IGNORECASE)
_NICKNAME = re.compile(r"[\"\u201c\u201d].*?[\"\u201c\u201d]|\(.*?\)")
_POSSESSIVE = re.compile(r"'s$")
_DASH = re.compile(r"[\u2010-\u2015-]")
_SPACE = re.compile(r"\s+")


class ScoreInputError(ValueError):
    """Raised for a gold or prediction file the scorer cannot read (bad JSON, no id, bad number)."""


class Miss(NamedTuple):
    """One item of a field that the prediction lacks (``missed``) or adds (``spurious``)."""

    article: str
    field: str
    kind: str
    item: str


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one field, summed over articles."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def figures(self) -> dict[str, float | int]:
        """Precision, recall and F1 (1.0 where nothing was expected and nothing found), and the counts."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def norm_name(name: object) -> str:
    """Casefolded name without honorific, nickname in quotes or brackets, possessive or dashes."""
    text = _NICKNAME.sub(" ", str(name).replace("\u2019", "'"))
    text = _HONORIFIC.sub("", text.strip())
    text = _POSSESSIVE.sub("", text.strip())
    text = _DASH.sub(" ", text)
    return _SPACE.sub(" ", text).strip(" .,").casefold()


def same_person(a: str, b: str) -> bool:
    """Equal names, or one name's words all within the other's ("schultz" ~ "korbein schultz")."""
    words_a, words_b = a.split(), b.split()
    if not (words_a and words_b):
        return False
    return words_a == words_b or set(words_a) <= set(words_b) or set(words_b) <= set(words_a)


def alias_map(gold_names: Sequence[str], pred_names: Sequence[str]) -> dict[str, str]:
    """Map each predicted name to the gold name it denotes; each gold name is taken once.

    Exact matches go first, so "wang" finds gold "wang" even when gold "wang lei" comes
    earlier and would also contain it.
    """
    mapping: dict[str, str] = {}
    free = list(dict.fromkeys(gold_names))
    for exact in (True, False):
        for pred in pred_names:
            if pred in mapping:
                continue
            for gold in free:
                if (pred == gold) if exact else same_person(pred, gold):
                    mapping[pred] = gold
                    free.remove(gold)
                    break
    return mapping


def penalty_key(penalty: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, Any, int | str | None]:
    """(person, kind, value): the value is "life", else the first of months, reprieve_months or
    amount, rounded to a whole number; the person goes through the alias map."""
    if penalty.get("for_life"):
        value: int | str | None = "life"
    else:
        value = None
        for key in ("months", "reprieve_months", "amount"):
            if penalty.get(key) is not None:
                try:
                    value = round(float(penalty[key]))
                except (TypeError, ValueError):
                    raise ScoreInputError(f"penalty {key} is not a number: {penalty[key]!r}") from None
                break
    person = norm_name(penalty.get("person", ""))
    return (names.get(person, person), penalty.get("kind"), value)


def field_items(record: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, set[Hashable]]:
    """The comparable items of each scored field of one record (gold labels or extraction)."""
    penalties = [penalty_key(p, names) for p in record.get("penalties", [])]
    subjects = (norm_name(s) for s in record.get("subjects", []))
    return {
        "subjects": {names.get(n, n) for n in subjects},
        "tactics": {t["label"] if isinstance(t, dict) else t for t in record.get("tactics", [])},
        "penalties": set(penalties),
        "penalties_unattributed": {key[1:] for key in penalties},
    }


def _show(item: Hashable) -> str:
    if isinstance(item, tuple):
        return " ".join("-" if part is None else str(part) for part in item)
    return str(item)


def score(gold: Mapping[str, Record], pred: Mapping[str, Record]) -> tuple[dict[str, Any], list[Miss]]:
    """Micro figures per field, relevance accuracy and article counts, plus every miss.

    Predicted names (subjects and penalty persons) are first mapped to the gold subjects they
    denote (``alias_map``), so "Mr. Schultz" scores as gold "Korbein Schultz". Relevance is
    counted only for articles where both sides say it.
    """
    counts = {name: Counts() for name in FIELDS}
    misses: list[Miss] = []
    relevance_right = relevance_seen = 0
    for article_id, labels in gold.items():
        record = pred.get(article_id, {})
        gold_names = [norm_name(n) for n in labels.get("subjects", [])]
        pred_names = [norm_name(n) for n in record.get("subjects", [])]
        pred_names += [norm_name(p.get("person", "")) for p in record.get("penalties", [])]
        try:
            expected = field_items(labels, {})
            found = field_items(record, alias_map(gold_names, pred_names))
        except ScoreInputError as exc:
            raise ScoreInputError(f"article {article_id}: {exc}") from None
        for name in FIELDS:
            missed, spurious = expected[name] - found[name], found[name] - expected[name]
            counts[name].tp += len(expected[name] & found[name])
            counts[name].fp += len(spurious)
            counts[name].fn += len(missed)
            misses += [Miss(article_id, name, "missed", s) for s in sorted(map(_show, missed))]
            misses += [Miss(article_id, name, "spurious", s) for s in sorted(map(_show, spurious))]
        if "relevant" in labels and "relevant" in record:
            relevance_seen += 1
            relevance_right += bool(labels["relevant"]) == bool(record["relevant"])
    result: dict[str, Any] = {name: c.figures() for name, c in counts.items()}
    result["relevance_accuracy"] = relevance_right / relevance_seen if relevance_seen else None
    result["articles"] = len(gold)
    result["predicted"] = sum(1 for article_id in gold if article_id in pred)
    return result, misses


def load_records(path: Path) -> dict[str, Record]:
    """Records of a JSON Lines file by id (a later line with the same id wins)."""
    records: dict[str, Record] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScoreInputError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or "id" not in record:
                raise ScoreInputError(f'{path}:{number}: not a record with an "id"')
            records[str(record["id"])] = record
    return records


def read_items(path: Path) -> list[Record]:
    """Pipeline input from a JSONL file, or a folder's input.jsonl, or a folder's *.json records."""
    if path.is_dir():
        files = [path / "input.jsonl"] if (path / "input.jsonl").exists() else sorted(path.glob("*.json"))
        if not files:
            raise ScoreInputError(f"{path}: no input.jsonl and no *.json records in this folder")
    else:
        files = [path]
    items: list[Record] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            if file.suffix == ".json":
                data = json.loads(text)
                items.extend(data if isinstance(data, list) else [data])
            else:
                items.extend(json.loads(line) for line in text.splitlines() if line.strip())
        except json.JSONDecodeError as exc:
            raise ScoreInputError(f"{file}: not JSON ({exc.msg}, line {exc.lineno})") from None
    return items


def run_pipeline(items: Sequence[Record], model: str | None = None) -> dict[str, Record]:
    """Extraction records (spec JSON) of the pipeline on ``items``, by id."""
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or "id" not in item or "text" not in item:
            raise ScoreInputError(f'input item {number} is not a record with an "id" and a "text"')
    return {str(r["id"]): r for r in (e.to_json() for e in extract(build_nlp(model), items))}


def format_report(result: Mapping[str, Any]) -> str:
    """The figures as text: a line of counts, then P / R / F1 per field."""
    accuracy = result["relevance_accuracy"]
    lines = [
        f"articles {result['articles']}  predicted {result['predicted']}  relevance accuracy "
        + ("n/a" if accuracy is None else f"{accuracy:.3f}")
    ]
    for name in FIELDS:
        r = result[name]
        lines.append(
            f"{name:24s} P {r['precision']:.3f}  R {r['recall']:.3f}  F1 {r['f1']:.3f}  "
            f"(tp {r['tp']} fp {r['fp']} fn {r['fn']})"
        )
    return "\n".join(lines)


def _looks_like_input(records: Mapping[str, Record]) -> bool:
    """Article text and no extraction fields: the user passed the pipeline's input as PRED."""
    return bool(records) and all(
        "text" in r and "relevant" not in r and "subjects" not in r for r in records.values()
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nlp.evaluate",
        description="Score extraction records against gold labels (micro P/R/F1 per field).",
    )
    parser.add_argument("gold", type=Path, metavar="GOLD", help="gold labels, JSON Lines with an id per line")
    parser.add_argument(
        "records",
        type=Path,
        metavar="PRED",
        help="extraction records with the same ids; with --run, the pipeline's input instead",
    )
    parser.add_argument("--run", action="store_true", help="extract PRED with the pipeline first, then score")
    parser.add_argument("--out", type=Path, help="with --run: also write the predictions to this JSONL file")
    parser.add_argument("--model", help="with --run: spaCy model (default: the pipeline's)")
    parser.add_argument("--misses", action="store_true", help="also list every missed and spurious item")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.run and (args.out or args.model):
        parser.error("--out and --model need --run")
    try:
        gold = load_records(args.gold)
        if args.run:
            pred = run_pipeline(read_items(args.records), args.model)
        elif args.records.is_dir():
            raise ScoreInputError(f"{args.records} is a folder: to extract its input.jsonl first, add --run")
        else:
            pred = load_records(args.records)
            if _looks_like_input(pred):
                raise ScoreInputError(
                    f"{args.records} holds article text, not extraction records: add --run to extract it"
                )
        if args.out:
            with args.out.open("w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in pred.values())
        result, misses = score(gold, pred)
    except (OSError, ValueError) as exc:  # ScoreInputError, and a missing model from build_nlp
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        if args.misses:
            result["misses"] = [m._asdict() for m in misses]
        print(json.dumps(result, indent=2))
        return 0
    if args.misses:
        for miss in misses:
            print("  ".join(miss))
    print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
