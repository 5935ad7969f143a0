"""The template environment: user templates override bundled ones, missing variables fail loudly."""

from __future__ import annotations

import jinja2
import pytest

from digest.render import FORMATS, make_env, render_digest


def test_user_template_overrides_bundled_one_by_name(tmp_path, digest):
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "digest.txt").write_text("{{ cases|length }} cases for {{ period_label }}\n")
    env = make_env(tmp_path)
    assert render_digest(digest, "txt", env) == "4 cases for 2026-11-26\n"
    # Templates the user did not override still come from the bundle.
    assert render_digest(digest, "md", env).startswith("# Bulletin Watch daily digest")


def test_user_partial_overrides_bundled_partial(tmp_path, digest):
    (tmp_path / "_partials").mkdir()
    (tmp_path / "_partials" / "header.html").write_text("<h1>Morning brief {{ cases|length }}</h1>\n")
    html = render_digest(digest, "html", make_env(tmp_path))
    assert "<h1>Morning brief 4</h1>" in html
    assert "Sentences handed down" in html


def test_missing_variable_raises(tmp_path, digest):
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "digest.html").write_text("<p>{{ no_such_variable }}</p>")
    with pytest.raises(jinja2.UndefinedError, match="no_such_variable"):
        render_digest(digest, "html", make_env(tmp_path))


def test_missing_attribute_raises(tmp_path, digest):
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "digest.md").write_text("{% for view in cases %}{{ view.case.nope }}{% endfor %}")
    with pytest.raises(jinja2.UndefinedError):
        render_digest(digest, "md", make_env(tmp_path))


def test_autoescape_by_format(tmp_path, digest):
    (tmp_path / "digest").mkdir()
    for name in ("digest.html", "digest.xml", "digest.txt", "digest.md"):
        (tmp_path / "digest" / name).write_text("{{ cases[3].case.headline[:8] }}")
    env = make_env(tmp_path)
    assert render_digest(digest, "html", env) == "&lt;script&gt;"
    assert render_digest(digest, "atom", env) == "&lt;script&gt;"
    assert render_digest(digest, "txt", env) == "<script>"
    assert render_digest(digest, "md", env) == "<script>"


def test_unknown_format(digest):
    with pytest.raises(ValueError, match="unknown digest format 'pdf'"):
        render_digest(digest, "pdf")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_both_fixtures(digest, empty_digest, fmt):
    env = make_env()
    assert render_digest(digest, fmt, env)
    assert "No new cases that reached the archive from 2026-11-26 07:00" in render_digest(
        empty_digest, fmt, env
    )


def test_bundled_templates_found_without_user_dir():
    env = make_env()
    names = env.list_templates()
    assert {
        "base.html",
        "digest/digest.html",
        "digest/digest.txt",
        "digest/digest.md",
        "digest/digest.xml",
    } <= set(names)
