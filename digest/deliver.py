"""Mail a rendered digest: one multipart/alternative message (HTML + plain text) over SMTP."""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

logger = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")


class DeliveryError(Exception):
    """The SMTP server could not be reached or refused the message.

    ``uncertain`` is true when the connection failed after the message itself was sent and
    before the server's answer to it came: the message may have been delivered.
    """

    def __init__(self, message: str, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


def message_id(key: str, sender: str, recipients: list[str]) -> str:
    """The Message-ID of a period's digest: the same for every attempt to mail that period to
    those recipients, so a resend is recognisable (and mail clients file it as the same message)."""
    domain = sender.rpartition("@")[2] or "bulletin-watch.local"
    digest = hashlib.sha256("\n".join([key, sender, *sorted(recipients)]).encode("utf-8")).hexdigest()[:16]
    return f"<bulletin-digest.{re.sub(r'[^0-9A-Za-z.-]+', '.', key)}.{digest}@{domain}>"


def build_message(
    subject: str, html: str, text: str, sender: str, recipients: list[str], msgid: str = ""
) -> EmailMessage:
    """A message mail clients show as HTML, with the plain text as its alternative.

    ``msgid`` is its Message-ID (see ``message_id``); empty for a new random one.
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msgid or make_msgid(domain=sender.rpartition("@")[2] or "bulletin-watch.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class _Watched:
    """Knows whether the failure of an exchange came while the message's DATA was in flight."""

    in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data = True
        reply: tuple[int, bytes] = super().data(msg)  # type: ignore[misc]  # smtplib.SMTP's, by the mixin order
        self.in_data = False
        return reply


class _SMTP(_Watched, smtplib.SMTP):
    pass


class _SMTPSSL(_Watched, smtplib.SMTP_SSL):
    pass


def send(message: EmailMessage, smtp: dict[str, Any], password: str | None) -> None:
    """Send over SMTP; ``smtp`` has host, port, security, user, timeout.

    Once the server has accepted the message (250 after DATA) it is sent: a failure of the
    QUIT that follows (a 421, a dropped connection) is logged, not raised.
    """
    security = smtp["security"]
    if security not in SECURITY:
        raise DeliveryError(f"smtp.security must be one of {', '.join(SECURITY)}, not {security!r}")
    context = ssl.create_default_context()
    where = f"{smtp['host']}:{smtp['port']}"
    client: _SMTP | _SMTPSSL | None = None
    try:
        if security == "ssl":
            client = _SMTPSSL(smtp["host"], smtp["port"], timeout=smtp["timeout"], context=context)
        else:
            client = _SMTP(smtp["host"], smtp["port"], timeout=smtp["timeout"])
        if security == "starttls":
            client.starttls(context=context)
        if smtp["user"]:
            client.login(smtp["user"], password or "")
        refused = client.send_message(message)
    except smtplib.SMTPDataError as exc:  # the server answered the message with a refusal
        _close(client)
        raise DeliveryError(f"sending to {where} failed: {exc}") from None
    except (OSError, smtplib.SMTPException) as exc:
        uncertain = client is not None and client.in_data
        _close(client)
        raise DeliveryError(
            f"sending to {where} failed"
            + (" after the message was sent, before the server confirmed it" if uncertain else "")
            + f": {exc}",
            uncertain=uncertain,
        ) from None
    if refused:
        logger.warning("the server refused some recipients: %s", ", ".join(sorted(refused)))
    try:
        client.quit()
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("the message was accepted; closing the connection to %s then failed: %s", where, exc)
    finally:
        _close(client)
    logger.info("sent %s to %s", message["Subject"], message["To"])


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        client.close()
