# The README's commands. Each target sets up what it needs in .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install demo test test-ci test-fast lint bench train train-who clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

## demo: run the main job end to end on the bundled sample sites (no internet needed)
demo: $(INSTALLED)
	$(VENV)/bin/bulletin demo

## test: the whole suite, slow end-to-end crawls included, except the few heaviest (test-ci)
test: $(INSTALLED)
	$(PY) -m pytest -m "not ci"

## test-ci: the heaviest end-to-end tests (the wheel in a fresh venv, PostgreSQL and Redis restarts, killed workers, retraining); .ci/run runs them
test-ci: $(INSTALLED)
	$(PY) -m pytest -m ci

## test-fast: skip the tests that run whole crawls in child processes
test-fast: $(INSTALLED)
	$(PY) -m pytest -m "not slow and not ci"

## lint: ruff check, ruff format --check and mypy (strict; its config is in pyproject.toml)
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: the benchmarks (crawl, extract, digest, cases, review, scale, search), each against a bare baseline
bench: $(INSTALLED)
	$(PY) bench/crawl.py
	$(PY) bench/extract.py
	$(PY) bench/digest.py
	$(PY) bench/cases.py
	$(PY) bench/review.py
	$(PY) bench/scale.py
	$(PY) bench/search.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .mypy_cache

## train: rebuild the shipped classifiers (relevance, tactics, roles, attribution) from the repository's article sets
train: $(INSTALLED)
	$(PY) training/make_corpus.py training/corpus
	for task in relevance tactics; do \
		$(PY) -m spacy train training/$$task.cfg --output training/output/$$task \
			--paths.train training/corpus/$$task-train.spacy --paths.dev training/corpus/$$task-dev.spacy \
		&& rm -rf nlp/models/$$task && cp -r training/output/$$task/model-best nlp/models/$$task || exit 1; \
	done
	$(MAKE) train-who

## train-who: rebuild only the classifiers over the parse (who is a defendant, whose each penalty is, which
## tactic cues narrate the case); the role classifier first, since the other examples say who is a defendant
train-who: $(INSTALLED)
	for task in roles attribution cues; do \
		$(PY) training/make_corpus.py training/corpus --task $$task --models nlp/models \
		&& $(PY) -m spacy train nlp/configs/$$task.cfg --output training/output/$$task \
			--paths.train training/corpus/$$task-train.spacy --paths.dev training/corpus/$$task-dev.spacy \
		&& rm -rf nlp/models/$$task && cp -r training/output/$$task/model-best nlp/models/$$task || exit 1; \
	done
