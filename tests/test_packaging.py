"""Every third-party package the code imports is declared in pyproject.toml.

An import that works only because some other dependency happens to pull the package in breaks
on the next resolver or release (issue 7: the wheel's demo died on ``lxml.html.clean``).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# The packages the wheel ships are the project's own code.
PACKAGES = tuple(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def canonical(name: str) -> str:
    """A distribution name as the registry compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: Iterable[str]) -> set[str]:
    """Canonical distribution names of requirement strings ("lxml-html-clean>=0.4,<1")."""
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"unreadable requirement in pyproject.toml: {requirement!r}"
        names.add(canonical(match.group(1)))
    return names


def imported_names(source: str) -> set[str]:
    """Top-level names of a module's absolute imports, wherever they sit (lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def undeclared_imports(
    sources: Mapping[str, str], allowed: set[str], first_party: set[str]
) -> dict[str, str]:
    """Third-party imports of ``sources`` (file name: text) whose distribution is not ``allowed``.

    Returns "file: import" -> the distribution that provides it, or why none does.
    """
    providers = packages_distributions()
    problems = {}
    for file, source in sources.items():
        for name in sorted(imported_names(source) - first_party - set(sys.stdlib_module_names)):
            distributions = {canonical(d) for d in providers.get(name, [])}
            if not distributions:
                problems[f"{file}: {name}"] = "no installed distribution provides it"
            elif not distributions & allowed:
                problems[f"{file}: {name}"] = f"from {', '.join(sorted(distributions))}, not declared"
    return problems


def python_files(*folders: str) -> dict[str, str]:
    return {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
        for folder in folders
        for path in sorted((REPO / folder).rglob("*.py"))
    }


RUNTIME = declared(PYPROJECT["project"]["dependencies"])
DEV = RUNTIME | declared(PYPROJECT["project"]["optional-dependencies"]["dev"])
# The extras of optional features (postgres): imported only where the feature is used.
FEATURES = {
    name: declared(requirements)
    for name, requirements in PYPROJECT["project"]["optional-dependencies"].items()
    if name != "dev"
}


def test_the_project_packages_are_found() -> None:
    assert set(PACKAGES) == {"bulletin", "crawler", "nlp", "digest"}
    assert len(python_files(*PACKAGES)) > 20


def test_every_import_of_the_shipped_code_is_a_declared_dependency() -> None:
    optional = set().union(*FEATURES.values())
    assert undeclared_imports(python_files(*PACKAGES), RUNTIME | optional, set(PACKAGES)) == {}


def test_an_optional_feature_is_imported_only_where_it_is_used() -> None:
    """A base install (no extras) must import every module: an extra's package is imported
    inside the functions that need it, never at module level."""
    optional = set().union(*FEATURES.values())
    for name, source in python_files(*PACKAGES).items():
        top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
        for line in top_level:
            assert line.split()[1].split(".")[0] not in optional, f"{name}: {line}"


def test_every_import_of_the_tests_and_benchmarks_is_declared_with_the_dev_extras() -> None:
    files = python_files("tests", "bench")
    # Test helpers imported by module name from their own folder (pytest puts it on sys.path).
    local = {Path(name).stem for name in files}
    assert undeclared_imports(files, DEV, set(PACKAGES) | {"tests"} | local) == {}


def test_an_undeclared_import_is_reported() -> None:
    sources = {
        "nlp/new.py": (
            "import os\nimport spacy\nfrom . import common\nfrom nlp.pipeline import extract\n"
            "def lazy():\n    import hypothesis.strategies\n    import no_such_package_xyz\n"
        )
    }
    problems = undeclared_imports(sources, RUNTIME, set(PACKAGES))
    assert problems == {
        "nlp/new.py: hypothesis": "from hypothesis, not declared",
        "nlp/new.py: no_such_package_xyz": "no installed distribution provides it",
    }


@pytest.mark.parametrize(
    ("import_name", "distribution"), [("bs4", "beautifulsoup4"), ("lxml_html_clean", "lxml-html-clean")]
)
def test_import_names_map_to_their_declared_distributions(import_name: str, distribution: str) -> None:
    # Import names differ from distribution names; the check maps one to the other.
    assert distribution in {canonical(d) for d in packages_distributions()[import_name]}
    assert distribution in RUNTIME
