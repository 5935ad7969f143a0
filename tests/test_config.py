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


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BULLETIN_SOURCES_DOJ_MAX_PAGES": "lots"},
            "BULLETIN_SOURCES_DOJ_MAX_PAGES: sources.doj.max_pages: expected int, got 'lots'",
        ),
        (
            {"BULLETIN_SOURCES_GLOBALTIMES_BASE_URL": "www.globaltimes.cn"},
            "BULLETIN_SOURCES_GLOBALTIMES_BASE_URL: sources.globaltimes.base_url: expected an http(s) URL",
        ),
        ({"BULLETIN_SOURCES_DOJ_ENABLE": "false"}, "BULLETIN_SOURCES_DOJ_ENABLE: no such setting"),
        ({"BULLETIN_CRAWL_DELAY": "2"}, "BULLETIN_CRAWL_DELAY: no such setting"),
    ],
)
def test_bad_source_environment_value_names_the_variable_not_the_file(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, "[crawl]\nretries = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    assert str(caught.value).startswith(message)
    assert str(path) not in str(caught.value)


def test_non_setting_variables_are_left_alone() -> None:
    env = {"BULLETIN_SMTP_PASSWORD": "s3cret", "BULLETIN_UPDATE_GOLDEN": "1", "BULLETIN_DB": "x.db"}
    assert load_settings(env=env)["store.path"] == "x.db"


def test_a_bad_default_source_key_set_in_the_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources.doj]\nmax_pages = 'two'\n")
    with pytest.raises(ConfigError, match=r"sources\.doj\.max_pages: expected int") as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(str(path))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "link_pattern = '/news/([a-z+$'",
            "sources.cps.link_pattern: not a valid regular expression (unterminated character set",
        ),
        ("selectors = { body = 'main article p[' }", "sources.cps.selectors.body: not a valid CSS selector"),
        ("selectors = { body = 'p::nosuch' }", "sources.cps.selectors.body: not a valid CSS selector"),
        ("selectors = { headline = 'h1' }", "sources.cps.selectors.headline: unknown selector"),
        ("feeds = ['www.cps.gov.uk/feed.xml']", "sources.cps.feeds: expected http(s) URLs"),
    ],
)
def test_generic_source_is_checked_at_load_not_on_every_page(
    tmp_path: Path, table: str, message: str
) -> None:
    path = write(tmp_path, f"[sources.cps]\nkind = 'generic'\nlistings = ['https://x.org/news']\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_invalid_link_pattern_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "[sources.cps]\nkind = 'generic'\nlistings = ['https://x.org/news']\n")
    with pytest.raises(ConfigError, match=r"^BULLETIN_SOURCES_CPS_LINK_PATTERN: sources\.cps\.link_pattern"):
        load_settings(path, env={"BULLETIN_SOURCES_CPS_LINK_PATTERN": "(["})


def test_configured_tells_a_users_site_from_the_shipped_default(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[sources.doj]\nenabled = false\n"
        "[sources.chinadaily]\nbase_url = 'http://127.0.0.1:8000'\n"
        "[sources.cps]\nkind = 'generic'\nfeeds = ['https://www.cps.gov.uk/feeds/news.xml']\n",
    )
    settings = load_settings(path, env={"BULLETIN_SOURCES_GLOBALTIMES_BASE_URL": "http://127.0.0.1:9000"})
    configured = {name: s.configured for name, s in settings.sources.items()}
    assert configured == {"globaltimes": True, "chinadaily": True, "doj": False, "cps": True}
    from bulletin.config import Settings

    assert Settings.from_dict(settings.to_dict()).sources == settings.sources


@pytest.mark.parametrize(
    ("contact", "refused"),
    [
        ("bulletin-watch@example.org", True),  # the shipped placeholder
        ("newsroom@example.com", True),
        ("me@desk.test", True),
        ("not an address", True),
        ("", True),
        ("analyst@newsroom.co.uk", False),
    ],
)
def test_placeholder_contact_is_refused_for_real_hosts_only(contact: str, refused: bool) -> None:
    settings = load_settings(env={"BULLETIN_CRAWL_CONTACT": contact})
    settings.check_contact(["http://127.0.0.1:8123/feed.xml", "http://localhost:9/x", "http://[::1]:80/"])
    if refused:
        with pytest.raises(ConfigError, match=r"^crawl\.contact: .*www\.globaltimes\.cn") as caught:
            settings.check_contact(["http://127.0.0.1:1/x", "https://www.globaltimes.cn/china/"])
        assert "BULLETIN_CRAWL_CONTACT" in str(caught.value)
        assert "\n" not in str(caught.value)
    else:
        settings.check_contact(["https://www.globaltimes.cn/china/"])
