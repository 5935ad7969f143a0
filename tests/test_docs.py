"""README, --help and the code tell the same story."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.config import SETTINGS, SOURCE_KEYS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [key for key in SETTINGS if f"`{key}`" not in README]
    assert missing == []


def test_every_source_key_is_documented_in_the_readme() -> None:
    missing = [key for key in SOURCE_KEYS if f"`{key}`" not in README]
    assert missing == []


def test_every_command_in_help_is_in_the_readme() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    commands = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert commands
    missing = [c for c in commands if f"bulletin {c}" not in README and f"make {c}" not in README]
    assert missing == []


def test_readme_names_the_two_quick_start_commands() -> None:
    assert "make demo" in README
    assert "make test" in README


def test_every_range_in_the_readme_is_the_one_the_config_enforces() -> None:
    """The settings tables' "allowed" column says exactly what config.py checks."""
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[3].strip()
        for line in README.splitlines()
        if line.startswith("| `") and line.count("|") == 4
    }
    for key, spec in {**SETTINGS, **SOURCE_KEYS}.items():
        if spec.allowed:
            assert rows.get(key) == spec.allowed, key
