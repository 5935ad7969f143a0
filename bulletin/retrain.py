"""`bulletin train`: the analysts' reviewed articles teach the role, attribution and cue classifiers.

The reviewed articles of the archive (each cut down to what its reviewer decided, as
`export --reviewed-only` writes them) are split by a hash of their id: a fixed quarter is held
back, the rest join the examples the shipped classifiers were trained on. The role classifier
is trained first, then the attribution classifier over pairs made with it, then the tactic cue
classifier (nlp.training). The new classifiers are installed into the settings' models folder
(`nlp.models`; by default models/ beside the archive), which extraction reads before the
shipped one, only when they score better on the held-back reviewed articles than the
classifiers in use: the mean of subjects, penalties and tactics F1, the three decisions they
make. The next `bulletin extract --redo` uses them.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulletin.config import Settings
from bulletin.errors import BulletinError
from bulletin.store import Store

logger = logging.getLogger(__name__)

HELD_BACK = 4  # a quarter of the reviewed articles (by hash of their id) is held back
MIN_HELD_BACK = 2
MIN_TRAINING = 2
SCORED = ("subjects", "penalties", "tactics")


Item = tuple[str, str, dict[str, Any]]  # (id, text, reviewed record)


class TrainingError(BulletinError):
    """Too few reviewed articles, no models folder, or a training run that failed."""


@dataclass
class TrainResult:
    """What `bulletin train` did: the articles used, the scores before and after, and whether
    the new classifiers were installed (and where)."""

    reviewed: int
    trained_on: int
    held_back: int
    before: dict[str, Any]
    after: dict[str, Any]
    installed: bool
    models_dir: Path
    alignment: list[str] = field(default_factory=list)

    @staticmethod
    def headline(result: dict[str, Any]) -> float:
        return sum(float(result[f]["f1"]) for f in SCORED) / len(SCORED)


def split(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """(to train on, held back): the quarter of the items first by a hash of their id is held
    back, so the same reviews always give the same split, whatever order they come in."""
    ranked = sorted(items, key=lambda item: hashlib.sha256(item[0].encode()).hexdigest())
    cut = max(MIN_HELD_BACK, len(ranked) // HELD_BACK) if len(ranked) > MIN_HELD_BACK else 0
    held = {item[0] for item in ranked[:cut]}
    return [i for i in items if i[0] not in held], [i for i in items if i[0] in held]


def reviewed_items(settings: Settings) -> list[Item]:
    """(id, text, record) of every reviewed article, the record what its reviewer decided."""
    items = []
    with Store.open(settings.db, create=False) as store:
        for article, stored in store.export_rows(reviewed_only=True):
            if stored is None or not article.text:
                continue
            article_id = str(stored.record.get("id") or article.id)
            items.append((article_id, article.text, dict(stored.record, id=article_id)))
    return items


def _score(nlp: Any, items: list[Item]) -> dict[str, Any]:
    from nlp.evaluate import score
    from nlp.pipeline import extract

    gold = {article_id: record for article_id, _, record in items}
    predictions = {
        record.id or "": record.to_json()
        for record in extract(nlp, ({"id": article_id, "text": text} for article_id, text, _ in items))
    }
    result, _ = score(gold, predictions)
    return result


def train(
    settings: Settings, model: str | None = None, say: Callable[[str], None] = logger.info
) -> TrainResult:
    """Retrain the role, attribution and cue classifiers with the archive's reviewed articles and
    install them when they score better on the held-back ones. say() reports each step."""
    from nlp import MODELS, build_nlp
    from nlp.training import (
        TASKS,
        collect,
        docbins,
        merge,
        recording_nlp,
        shipped_examples,
        train_component,
        write_bins,
    )

    models_dir = settings.models_dir
    if models_dir is None:
        raise TrainingError(
            "no folder for trained classifiers: set nlp.models (the archive is not a SQLite file)"
        )
    items = reviewed_items(settings)
    training, held = split(items)
    if len(held) < MIN_HELD_BACK or len(training) < MIN_TRAINING:
        raise TrainingError(
            f"{len(items)} reviewed articles: need at least {MIN_HELD_BACK} held back and {MIN_TRAINING} "
            f"to train on (have {len(held)} and {len(training)}); review more in `bulletin review`"
        )
    current = [models_dir, MODELS]
    say(f"{len(items)} reviewed articles: training on {len(training)}, holding back {len(held)}")
    before = _score(build_nlp(model, models=current), held)
    alignment = []
    with tempfile.TemporaryDirectory(prefix="bulletin-train-") as tmp:
        work = Path(tmp)
        staging = work / "models"
        for task in TASKS:
            say(f"training the {task} classifier")
            # The attribution and cue examples say whether each person is a defendant: by the
            # new roles.
            recorder = recording_nlp([staging, *current], model=model)
            found = collect(recorder, training, task)
            alignment.append(found.summary())
            write_bins(merge(shipped_examples(task), docbins(found.found, task)), work / "corpus", task)
            try:
                best = train_component(task, work / "corpus", work / "output")
            except (SystemExit, ValueError, OSError) as exc:
                raise TrainingError(f"training the {task} classifier failed: {exc}") from exc
            staging.mkdir(exist_ok=True)
            best.rename(staging / task)
        say("scoring the held-back reviewed articles")
        after = _score(build_nlp(model, models=[staging, *current]), held)
        result = TrainResult(
            reviewed=len(items),
            trained_on=len(training),
            held_back=len(held),
            before=before,
            after=after,
            installed=False,
            models_dir=models_dir,
            alignment=alignment,
        )
        if TrainResult.headline(after) > TrainResult.headline(before):
            from nlp.training import install

            for task in TASKS:
                install(staging / task, models_dir, task)
            result.installed = True
    return result
