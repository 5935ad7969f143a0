"""NLP stage: turn article text into extraction records with a spaCy pipeline and rules."""

from nlp.pipeline import PIPELINE_VERSION, build_nlp, extract

__all__ = ["PIPELINE_VERSION", "build_nlp", "extract"]
