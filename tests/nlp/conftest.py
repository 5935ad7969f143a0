"""Fixtures for the NLP tests: the real model once per session, and a fast blank pipeline."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
import spacy
from spacy.language import Language
from tests_nlp_helpers import SHARED

from nlp.pipeline import add_components, build_nlp


@pytest.fixture(scope="session")
def real_nlp() -> Language:
    """The statistical model plus our components; loading takes a second, so share it."""
    return build_nlp()


@pytest.fixture(scope="session")
def blank_nlp() -> Language:
    """spacy.blank("en") with a sentencizer and our rule components alone (no classifiers): fast."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return add_components(nlp, models=None)


@pytest.fixture(scope="session")
def scorer() -> ModuleType:
    """The shared scorer (../shared/tools/score.py), the one the outside evaluation uses."""
    path = SHARED / "tools" / "score.py"
    if not path.exists():
        pytest.fail(f"the shared scorer is missing: {path} (shared/ must sit beside the checkout)")
    spec = importlib.util.spec_from_file_location("bulletin_score", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
