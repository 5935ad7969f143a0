"""Fixtures for the NLP tests: the real model once per session, and a fast blank pipeline."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

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
