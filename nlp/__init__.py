"""NLP stage: turn article text into extraction records with a spaCy pipeline and rules."""

from nlp.pipeline import MODELS, PIPELINE_VERSION, build_nlp, extract

__all__ = ["MODELS", "PIPELINE_VERSION", "build_nlp", "extract"]
