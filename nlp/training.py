"""Training the role, attribution and cue classifiers from article-level labels.

The labels we have (the team sets, the shared corpus, an analyst's reviewed articles) say per
article who the subjects are, which penalties (person, kind, value) were imposed and which
tactics were used, not which tokens. The pipeline is run over each labelled article with its
subjects, penalties and tactics components *recording* the feature words of every person
cluster, every (penalty, person) pair (nlp/components/roles.py) and every tactic cue
(nlp/components/cues.py); each example is then labelled by aligning it to the article's gold
record, names with the scorer's own matching (`nlp.evaluate.same_person`):

- a cluster is a DEFENDANT when its name is one of the gold subjects, else OTHER;
- a pair is a LINK when a gold penalty of the pair's kind and value belongs to the pair's
  person, NOLINK when it belongs to someone else; a penalty the gold record does not have is
  no one's, and its pairs are left out;
- a cue is NARRATED when the article's gold tactics hold its label, else NOT_NARRATED.

What cannot be aligned (a gold subject no cluster matches, a gold penalty no pair carries, a
gold tactic no cue proposes) is
counted and reported. Training is `spacy train` with the configs in nlp/configs/, seeded, so a
rerun on the same data gives the same weights. Used by `make train` (training/make_corpus.py),
`training/crossval.py` and `bulletin train`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import DocBin

from nlp.components.cues import CUE_LABEL, CUE_OTHER, CUE_RECORD
from nlp.components.roles import (
    LINK_LABEL,
    LINK_OTHER,
    LINK_RECORD,
    ROLE_LABEL,
    ROLE_OTHER,
    ROLE_RECORD,
    feature_doc,
)
from nlp.evaluate import norm_name, penalty_key, same_person
from nlp.pipeline import MODELS, build_nlp

CONFIGS = Path(str(resources.files("nlp").joinpath("configs")))
# The examples the shipped classifiers were trained on, as feature words (written by `make
# train`), so `bulletin train` can add an archive's reviewed articles to them without the
# repository's article sets.
EXAMPLES = MODELS / "examples"
TASKS = ("roles", "attribution", "cues")

# (id, text, gold record) of one labelled article.
Item = tuple[str, str, dict[str, Any]]
# Per article id, the (feature words, label) of each example.
Labelled = dict[str, list[tuple[list[str], bool]]]


@dataclass
class Alignment:
    """How many examples one task got, and how many gold labels no example carries."""

    task: str
    articles: int = 0
    examples: int = 0
    positive: int = 0
    gold: int = 0
    unaligned: int = 0
    found: Labelled = field(default_factory=dict)

    def summary(self) -> str:
        what, unit = {
            "roles": ("subjects", "cluster"),
            "attribution": ("penalties", "pair"),
            "cues": ("tactics", "cue"),
        }[self.task]
        return (
            f"{self.task}: {self.examples} examples ({self.positive} positive) from {self.articles} "
            f"articles; {self.unaligned} of {self.gold} gold {what} aligned to no {unit}"
        )


def is_dev(article_id: str) -> bool:
    """The fixed 3/16 of articles `spacy train` picks its best checkpoint on."""
    return hashlib.sha256(article_id.encode()).hexdigest()[0] in "012"


def recording_nlp(
    models: Path | Sequence[Path] | None, features: str = "both", model: str | None = None
) -> Language:
    """The pipeline with the classifiers of models, its subjects and penalties components
    keeping every example's feature words in doc.user_data."""
    nlp = build_nlp(model, models=models, features=features)
    for name in ("bulletin_subjects", "bulletin_penalties", "bulletin_tactics"):
        nlp.get_pipe(name).record = True  # type: ignore[attr-defined]
    return nlp


def collect(nlp: Language, items: Sequence[Item], task: str) -> Alignment:
    """The labelled examples of one task over the items, with the alignment counts."""
    result = Alignment(task, articles=len(items))
    texts = ((text, (article_id, gold)) for article_id, text, gold in items)
    for doc, (article_id, gold) in nlp.pipe(texts, as_tuples=True, batch_size=16):
        rows = result.found.setdefault(article_id, [])
        if task == "roles":
            golds = [norm_name(n) for n in gold.get("subjects", [])] if gold.get("relevant") else []
            matched = set()
            for row in doc.user_data.get(ROLE_RECORD, []):
                name = norm_name(row["name"])
                matches = [g for g in golds if same_person(name, g)]
                matched.update(matches)
                rows.append((row["words"], bool(matches)))
            result.gold += len(golds)
            result.unaligned += len([g for g in golds if g not in matched])
        elif task == "cues":
            tactics = (
                {t if isinstance(t, str) else t["label"] for t in gold.get("tactics", [])}
                if gold.get("relevant")
                else set()
            )
            cued = set()
            for row in doc.user_data.get(CUE_RECORD, []):
                cued.add(row["label"])
                rows.append((row["words"], row["label"] in tactics))
            result.gold += len(tactics)
            result.unaligned += len(tactics - cued)
        else:
            penalties = (
                [penalty_key(p, {}) for p in gold.get("penalties", [])] if gold.get("relevant") else []
            )
            carried = set()
            for row in doc.user_data.get(LINK_RECORD, []):
                _, kind, value = penalty_key({"kind": row["kind"], **row["fields"]}, {})
                owners = [g for g in penalties if g[1] == kind and g[2] == value]
                if not owners:
                    continue  # a penalty the gold record does not have: no one's
                mine = [g for g in owners if same_person(norm_name(row["name"]), g[0])]
                carried.update(mine)
                rows.append((row["words"], bool(mine)))
            result.gold += len(penalties)
            result.unaligned += len([g for g in penalties if g not in carried])
        result.examples += len(rows)
        result.positive += sum(label for _, label in rows)
    return result


def docbins(found: Labelled, task: str, ids: Iterable[str] | None = None) -> dict[str, DocBin]:
    """The "train" and "dev" (fixed 3/16 by id) DocBins of the given articles' examples."""
    positive, negative = {
        "roles": (ROLE_LABEL, ROLE_OTHER),
        "attribution": (LINK_LABEL, LINK_OTHER),
        "cues": (CUE_LABEL, CUE_OTHER),
    }[task]
    vocab = spacy.blank("en").vocab
    bins = {part: DocBin() for part in ("train", "dev")}
    for article_id in found if ids is None else ids:
        for words, label in found.get(article_id, []):
            example = feature_doc(vocab, words)
            example.cats = {positive: float(label), negative: float(not label)}
            bins["dev" if is_dev(article_id) else "train"].add(example)
    return bins


def write_bins(bins: dict[str, DocBin], out: Path, task: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for part, docbin in bins.items():
        docbin.to_disk(out / f"{task}-{part}.spacy")


def merge(*groups: dict[str, DocBin]) -> dict[str, DocBin]:
    """One "train" and one "dev" DocBin of several."""
    merged = {part: DocBin() for part in ("train", "dev")}
    for group in groups:
        for part, docbin in group.items():
            merged[part].merge(docbin)
    return merged


def train_component(task: str, corpus: Path, output: Path, overrides: dict[str, Any] | None = None) -> Path:
    """`spacy train` nlp/configs/{task}.cfg on corpus/{task}-{train,dev}.spacy, quietly; the
    folder of the best model."""
    from spacy.cli.train import train

    settings = {
        "paths.train": str(corpus / f"{task}-train.spacy"),
        "paths.dev": str(corpus / f"{task}-dev.spacy"),
    }
    settings.update(overrides or {})
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        train(CONFIGS / f"{task}.cfg", output / task, overrides=settings)
    return output / task / "model-best"


def install(model: Path, models: Path, task: str) -> None:
    """Copy a trained model into models/task, replacing the one there in one rename."""
    models.mkdir(parents=True, exist_ok=True)
    staging = models / f".{task}.new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(model, staging)
    old = models / f".{task}.old"
    shutil.rmtree(old, ignore_errors=True)
    if (models / task).exists():
        (models / task).rename(old)
    staging.rename(models / task)
    shutil.rmtree(old, ignore_errors=True)


def shipped_examples(task: str) -> dict[str, DocBin]:
    """The examples the shipped classifier of task was trained on (empty when not shipped)."""
    bins = {}
    for part in ("train", "dev"):
        path = EXAMPLES / f"{task}-{part}.spacy"
        bins[part] = DocBin().from_disk(path) if path.exists() else DocBin()
    return bins


def text_models_only(folder: Path, shipped: Sequence[str] = ("relevance", "tactics")) -> Path:
    """folder, made to hold the shipped relevance and tactics classifiers only (links): a
    models folder with which roles, attribution and cues are the rules' or trained into it."""
    folder.mkdir(parents=True)
    for name in shipped:
        (folder / name).symlink_to(MODELS / name)
    return folder
