"""SharedScheduler against a real redis-server: a lost reply loses no request, pushing or popping.

A loopback proxy between the scheduler and Redis forwards one command and then cuts the
connection before Redis's reply comes back, as a Redis restart does to the command in flight.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import scrapy
from scrapy.http import Request
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.test import get_crawler
from scrapy_redis.scheduler import Scheduler

from bulletin.config import load_settings
from bulletin.crawl import DUPEFILTER_KEY, QUEUE_KEY, scrapy_settings
from crawler.scheduler import SharedScheduler
from tests.redis_server import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class CutProxy:
    """Forwards loopback TCP to Redis; once armed, passes the next command naming ``marker``
    on to Redis and then closes both ends without its reply."""

    def __init__(self, port: int):
        self.port = port
        self.marker: bytes | None = None
        self.cut: set[socket.socket] = set()  # connections to Redis whose next reply is dropped
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, to_redis: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if not to_redis and source in self.cut:
                    break  # Redis has run the cut command: its reply is dropped
                if to_redis and self.marker is not None and self.marker in chunk:
                    self.marker = None
                    self.cut.add(target)
                    target.sendall(chunk)
                    return  # the other direction closes both ends once the reply is in
                target.sendall(chunk)
        except OSError:
            pass
        for sock in (source, target):
            sock.close()

    def close(self) -> None:
        self.listener.close()


CMDLINE = SETTINGS_PRIORITIES["cmdline"]


class Cut(scrapy.Spider):
    name = "cut"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def article(n: int) -> Request:
    url = f"http://127.0.0.1:1/page/{n}.shtml"
    return Request(url, meta={"bulletin_article": True, "bulletin_url": url})


def shared_scheduler(proxy: CutProxy) -> SharedScheduler:
    shared = scrapy_settings(load_settings(env={}), 0, proxy.url)
    # What `bulletin crawl --redis` sets (the scheduler, the queue, REDIS_PARAMS...), not the defaults.
    crawler = get_crawler(Cut, {k: v for k, v in shared.items() if shared.getpriority(k) == CMDLINE})
    spider = Cut.from_crawler(crawler)
    scheduler = SharedScheduler.from_crawler(crawler)
    Scheduler.open(scheduler, spider)  # the queue and filter, without the engine's poll (no reactor here)
    scheduler.pop_key = f"{scheduler.queue.key}:popped:test"  # as SharedScheduler.open sets it
    return scheduler


def test_a_reply_lost_after_the_fingerprint_was_added_loses_no_request(redis_server: RedisServer) -> None:
    proxy = CutProxy(redis_server.port)
    scheduler = shared_scheduler(proxy)
    assert scheduler.enqueue_request(article(1))
    proxy.marker = (DUPEFILTER_KEY % {"spider": "cut"}).encode()
    scheduler.enqueue_request(article(2))  # its reply is cut; the client retries or holds it
    scheduler.enqueue_request(article(3))
    proxy.close()

    client = redis_server.client()
    assert len(proxy.cut) == 1
    assert client.scard(DUPEFILTER_KEY % {"spider": "cut"}) == 3
    assert client.zcard(QUEUE_KEY % {"spider": "cut"}) == 3  # scrapy-redis's SADD-then-ZADD: 2
    assert not scheduler.held
    assert not scheduler.enqueue_request(article(2))  # and a real duplicate is still one
    assert client.zcard(QUEUE_KEY % {"spider": "cut"}) == 3


def test_a_reply_lost_after_a_pop_loses_no_request(redis_server: RedisServer) -> None:
    proxy = CutProxy(redis_server.port)
    scheduler = shared_scheduler(proxy)
    for n in range(4):
        assert scheduler.enqueue_request(article(n))
    first = scheduler.next_request()
    proxy.marker = (QUEUE_KEY % {"spider": "cut"}).encode()  # the next pop runs; its reply is cut
    popped = [first]
    for _ in range(10):  # None while the client reconnects, and once the queue is empty
        popped.append(scheduler.next_request())
    proxy.close()

    assert len(proxy.cut) == 1
    urls = sorted(r.url for r in popped if r is not None)
    assert urls == sorted(article(n).url for n in range(4))  # scrapy-redis's pop: one missing
