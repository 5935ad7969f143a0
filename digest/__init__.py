"""Digest rendering: turn a ``Digest`` record into HTML, text, Markdown or Atom."""

from digest.render import FORMATS, make_env, render_digest

__all__ = ["FORMATS", "make_env", "render_digest"]
