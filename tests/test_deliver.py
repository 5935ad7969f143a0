"""Mail delivery against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digest.deliver import DeliveryError, build_message, send
from tests.smtp import Inbox, free_port, smtp_on_loopback


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with smtp_on_loopback() as server:
        yield server


def test_digest_arrives_as_one_html_message_with_a_text_alternative(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    message = build_message(
        "Digest: 2026-11-26, 2 new cases",
        "<p>Feng &amp; Jiang</p>",
        "Feng & Jiang",
        "watch@example.org",
        ["analyst@example.org", "desk@example.org"],
    )
    send(message, {"host": "127.0.0.1", "port": port, "security": "none", "user": "", "timeout": 10}, None)
    [received] = inbox.messages
    assert received["Subject"] == "Digest: 2026-11-26, 2 new cases"
    assert received["To"] == "analyst@example.org, desk@example.org"
    assert received.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in received.iter_parts()}
    assert parts["text/plain"].strip() == "Feng & Jiang"
    assert parts["text/html"].strip() == "<p>Feng &amp; Jiang</p>"
    assert received["Message-ID"].endswith("@example.org>")


def test_unreachable_server_is_a_delivery_error() -> None:
    message = build_message("s", "<p>x</p>", "x", "a@example.org", ["b@example.org"])
    with pytest.raises(DeliveryError, match=r"sending to 127\.0\.0\.1:"):
        send(
            message,
            {"host": "127.0.0.1", "port": free_port(), "security": "none", "user": "", "timeout": 5},
            None,
        )


def test_unknown_security_mode_is_refused() -> None:
    message = build_message("s", "<p>x</p>", "x", "a@example.org", ["b@example.org"])
    with pytest.raises(DeliveryError, match=r"smtp\.security"):
        send(message, {"host": "127.0.0.1", "port": 25, "security": "tls", "user": "", "timeout": 5}, None)
