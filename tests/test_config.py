"""Settings layering (defaults, user file, environment, command line) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin.config import SETTINGS, load_settings
from bulletin.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_without_a_user_file() -> None:
    settings = load_settings(env={})
    assert set(settings.values) == set(SETTINGS)
    assert {"globaltimes", "chinadaily", "doj"} <= set(settings.sources)
    assert settings.source("globaltimes").base_url == "https://www.globaltimes.cn"
    assert "+mailto:" in settings.user_agent


def test_file_then_environment_then_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[crawl]\ndownload_delay = 2.5\nretries = 7\n[store]\npath = "from-file.db"\n')
    env = {"BULLETIN_CRAWL_RETRIES": "9", "BULLETIN_DB": "from-env.db"}
    settings = load_settings(path, env=env)
    assert settings["crawl.download_delay"] == 2.5
    assert settings["crawl.retries"] == 9
    assert settings["store.path"] == "from-env.db"
    assert load_settings(path, env=env, overrides={"store.path": "cli.db"})["store.path"] == "cli.db"


def test_source_tables_merge_and_new_sources_are_added(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[sources.globaltimes]
base_url = "http://127.0.0.1:8000"
[sources.cps]
kind = "generic"
feeds = ["https://example.org/feed.xml"]
""",
    )
    settings = load_settings(path, env={"BULLETIN_SOURCES_DOJ_ENABLED": "false"})
    gt = settings.source("globaltimes")
    assert gt.base_url == "http://127.0.0.1:8000"
    assert gt.get("sections")  # kept from the defaults
    assert settings.source("cps").kind == "generic"
    assert settings.source("doj").enabled is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[crawl]\ndownload_delay = 'fast'\n",
            "crawl.download_delay: expected int or float, got 'fast'",
        ),
        ("[crawl]\nspeed = 1\n", "crawl.speed: unknown setting"),
        ("[crawler]\nretries = 1\n", "crawler: unknown setting"),
        ("[crawl]\nretries = -1\n", "crawl.retries: must not be negative, got -1"),
        ("[crawl\nretries = 1\n", "not valid TOML"),
        ("[sources.x]\nkind = 'rss'\n", "sources.x.kind: unknown kind 'rss'"),
        (
            "[sources.globaltimes]\nbase_url = 'www.globaltimes.cn'\n",
            "sources.globaltimes.base_url: expected an http(s) URL",
        ),
        (
            "[sources.globaltimes]\nsection = ['china/']\n",
            "sources.globaltimes.section: unknown source setting",
        ),
    ],
)
def test_broken_config_names_file_key_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"BULLETIN_CRAWL_TIMEOUT: crawl\.timeout: expected int or float"):
        load_settings(env={"BULLETIN_CRAWL_TIMEOUT": "soon"})


def test_missing_user_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_settings_round_trip_through_a_plain_dict() -> None:
    from bulletin.config import Settings

    settings = load_settings(env={})
    again = Settings.from_dict(settings.to_dict())
    assert again.values == settings.values
    assert again.sources == settings.sources
