"""A real SMTP server on loopback that misbehaves on cue: 421 on QUIT, silence after DATA, refusals."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage


class FaultySMTP:
    """What the server does (``quit_reply``, ``hang_after_data``, ``refuse_rcpt``) and what it received."""

    def __init__(self) -> None:
        self.quit_reply = "221 bye"
        self.hang_after_data = False
        self.refuse_rcpt = False
        self.messages: list[EmailMessage] = []
        self.received = threading.Event()
        self.release = threading.Event()
        self.port = 0


@contextmanager
def faulty_smtp() -> Iterator[FaultySMTP]:
    state = FaultySMTP()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode("ascii") + b"\r\n")
            self.wfile.flush()

        def handle(self) -> None:
            self.reply("220 faulty ESMTP")
            while line := self.rfile.readline():
                verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 faulty")
                elif verb == "MAIL":
                    self.reply("250 ok")
                elif verb == "RCPT":
                    self.reply("550 no such user" if state.refuse_rcpt else "250 ok")
                elif verb == "DATA":
                    self.reply("354 go ahead")
                    body = b""
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        body += chunk[1:] if chunk.startswith(b"..") else chunk
                    state.messages.append(email.message_from_bytes(body, policy=email.policy.default))
                    state.received.set()
                    if state.hang_after_data:  # the message is in; its confirmation never comes
                        state.release.wait(60)
                        return
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply(state.quit_reply)
                    return
                elif verb == "RSET":
                    self.reply("250 ok")
                else:
                    self.reply("502 not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
