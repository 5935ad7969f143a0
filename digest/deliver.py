"""Mail a rendered digest: one multipart/alternative message (HTML + plain text) over SMTP."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

logger = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")


class DeliveryError(Exception):
    """The SMTP server could not be reached or refused the message."""


def build_message(subject: str, html: str, text: str, sender: str, recipients: list[str]) -> EmailMessage:
    """A message mail clients show as HTML, with the plain text as its alternative."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "bulletin-watch.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage, smtp: dict[str, Any], password: str | None) -> None:
    """Send over SMTP; ``smtp`` has host, port, security, user, timeout."""
    security = smtp["security"]
    if security not in SECURITY:
        raise DeliveryError(f"smtp.security must be one of {', '.join(SECURITY)}, not {security!r}")
    context = ssl.create_default_context()
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp["host"], smtp["port"], timeout=smtp["timeout"], context=context
            )
        else:
            client = smtplib.SMTP(smtp["host"], smtp["port"], timeout=smtp["timeout"])
        with client:
            if security == "starttls":
                client.starttls(context=context)
            if smtp["user"]:
                client.login(smtp["user"], password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"sending to {smtp['host']}:{smtp['port']} failed: {exc}") from None
    logger.info("sent %s to %s", message["Subject"], message["To"])
