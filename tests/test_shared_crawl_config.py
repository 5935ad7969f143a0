"""The shared crawl's settings and command-line checks: one-line errors before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.config import load_settings
from bulletin.database import shown
from bulletin.errors import ConfigError


def config(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\npath = "{(tmp_path / "a.db").as_posix()}"\n{text}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "url",
    ["", "redis://127.0.0.1:6379/0", "redis://:secret@queue.internal:6380", "rediss://h/2", "unix:///r.sock"],
)
def test_redis_urls_redis_py_reads_are_accepted(tmp_path: Path, url: str) -> None:
    settings = load_settings(config(tmp_path, f'[redis]\nurl = "{url}"\n'), env={})
    assert settings["redis.url"] == url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('url = "localhost:6379"', "redis.url: expected a URL such as redis://HOST:6379/0"),
        ('url = "http://127.0.0.1:6379"', "redis.url: expected a URL such as redis://HOST:6379/0"),
        ('url = "redis://127.0.0.1:6379/zero"', "redis.url: the database after the host must be a number"),
        ('url = "redis://127.0.0.1:99999/0"', "redis.url: expected a URL such as redis://HOST:6379/0"),
        ("idle_seconds = 0", "redis.idle_seconds: must be above 0 and at most 86400, got 0"),
        ("wait_seconds = -1", "redis.wait_seconds: must be above 0 and at most 86400, got -1"),
        ("queue = 'x'", "redis.queue: unknown setting"),
    ],
)
def test_bad_redis_settings_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = config(tmp_path, f"[redis]\n{text}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_the_environment_sets_the_redis_url() -> None:
    settings = load_settings(env={"BULLETIN_REDIS_URL": "redis://10.0.0.5:6379/1"})
    assert settings["redis.url"] == "redis://10.0.0.5:6379/1"
    with pytest.raises(ConfigError, match=r"^BULLETIN_REDIS_URL: redis\.url: expected a URL"):
        load_settings(env={"BULLETIN_REDIS_URL": "10.0.0.5"})


def test_messages_never_show_the_redis_password() -> None:
    assert shown("redis://:s3cret@queue:6380/1") == "redis://:***@queue:6380/1"
    assert shown("redis://queue:6380/1") == "redis://queue:6380/1"


def run(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(path), *args], env={"BULLETIN_CONFIG": ""})
    return result.exit_code, result.output


def test_a_bad_redis_option_is_refused_before_anything_starts(tmp_path: Path) -> None:
    path = config(tmp_path)
    code, output = run(path, "crawl", "--redis", "127.0.0.1:6379")
    assert code == 1
    assert output.strip().splitlines() == [
        "bulletin: error: --redis: redis.url: expected a URL such as redis://HOST:6379/0 "
        "(or rediss://, unix://), got '127.0.0.1:6379'"
    ]
    assert not (tmp_path / "a.db").exists()


def test_refresh_does_not_go_with_a_shared_crawl(tmp_path: Path) -> None:
    code, output = run(config(tmp_path), "crawl", "--refresh", "--redis", "redis://127.0.0.1:9/0")
    assert code == 1
    assert output.strip().splitlines() == [
        "bulletin: error: --refresh does not go with a shared crawl (--redis, redis.url): crawl alone"
    ]


def test_a_worker_needs_a_redis_and_source_names(tmp_path: Path) -> None:
    code, output = run(config(tmp_path), "worker", "crawl")
    assert code == 1
    assert output.strip().splitlines() == [
        "bulletin: error: worker crawl: no Redis to share the crawl through: "
        "give --redis URL or set redis.url"
    ]
    code, output = run(
        config(tmp_path), "worker", "crawl", "--redis", "redis://127.0.0.1:9/0", "https://x.org/a"
    )
    assert code == 1
    assert "takes source names, not URLs" in output
    assert not (tmp_path / "a.db").exists()
