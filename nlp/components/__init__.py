"""The bulletin_* spaCy components; importing this package registers their factories."""

from nlp.components import laws, noise, penalties, relevance, stages, subjects, tactics

__all__ = ["laws", "noise", "penalties", "relevance", "stages", "subjects", "tactics"]
