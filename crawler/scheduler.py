"""SharedScheduler: scrapy-redis's scheduler, riding out Redis outages and stopping when the queue is idle.

Used only for a shared crawl (``bulletin crawl --redis``, ``bulletin worker crawl``): the
request queue and the duplicate filter live in Redis (``scrapy_redis``'s priority queue,
whose pop is atomic, so no two workers get one request), persist across workers
(``SCHEDULER_PERSIST``), and ``crawler.dupefilter.ArticleDupeFilter`` keys article
requests on the archive's canonical URL.

Two things scrapy-redis leaves to its user are done here:

- *Idle*: a worker's own queue may be empty while another worker is still parsing a
  listing that will add requests, so an idle worker stays open until the shared queue has
  been empty for ``BULLETIN_REDIS_IDLE_SECONDS``; it looks at the queue every half second.
  A worker (``worker`` spider argument) that has had no request yet waits for a seed: the
  seed keeps ``BULLETIN_REDIS_SEEDING_KEY`` alive in Redis while it runs (a key with a
  ``SEED_ALIVE_SECONDS`` expiry, renewed every ``SEED_RENEW_SECONDS``), and a worker counts
  idle time only once it has had a request or seen that key, so workers can be started
  first, however long before the seed, and one joining a running crawl that never wins a
  request still stops.
- *Outages*: while Redis is unreachable, requests this worker discovers are held in
  memory (pushed once it is back), pages already downloading finish, and the worker
  waits up to ``BULLETIN_REDIS_WAIT_SECONDS``; after that it closes with reason
  ``redis_unreachable``. What it still held is lost for this crawl only: the next
  ``bulletin crawl --redis`` discovers it again, and the archive check keeps anything
  stored from being fetched twice.
- *Seen and queued as one step*: scrapy-redis adds a request's fingerprint (SADD) and then
  queues it (ZADD) in two round trips; Redis going away between the two kept the
  fingerprint without the request, so the request, pushed again once Redis was back, was
  filtered as already seen and never fetched. Here one Lua script does both, and a retry
  after a lost reply finds the fingerprint with the request already queued.
- *A pop whose reply is lost*: scrapy-redis's pop removes the request in Redis, and if
  Redis goes down before the reply arrives, nobody has it. Here the pop is a Lua script
  that also keeps what it popped under this scheduler's own key with the call's nonce; a
  call with the same nonce (redis-py's retry, or the next pop after an outage, which reuses
  the nonce of a pop that failed) returns that request instead of popping another.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Self

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Request
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError)
POLL_SECONDS = 0.5
SEED_ALIVE_SECONDS = 10.0  # survives a short Redis restart (the expiry is kept in the AOF)
SEED_RENEW_SECONDS = 2.0

# KEYS: the duplicate filter's set, the priority queue; ARGV: fingerprint, score, request.
PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
    return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# KEYS: the priority queue, this scheduler's last pop; ARGV: the call's nonce. Idempotent per
# nonce: a call repeating one that ran returns the request that one popped.
POP_ONCE = """
if redis.call('HGET', KEYS[2], 'nonce') == ARGV[1] then
    return redis.call('HGET', KEYS[2], 'request')
end
local popped = redis.call('ZRANGE', KEYS[1], 0, 0)
if #popped == 0 then
    return false
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], 'nonce', ARGV[1], 'request', popped[1])
redis.call('EXPIRE', KEYS[2], 86400)
return popped[1]
"""


class SharedScheduler(Scheduler):  # type: ignore[misc]  # scrapy-redis is untyped
    crawler: Crawler
    idle_seconds: float
    wait_seconds: float
    held: list[Request]  # found while Redis was unreachable, pushed once it is back
    down_since: float | None
    last_busy: float
    poll: task.LoopingCall | None
    seeding_key: str
    seeded: bool  # a worker: it has seen a running seed, or has had a request
    renewed: float  # a seed: when it last renewed the seeding key
    push_unseen: Any  # redis-py Script: EVALSHA, loaded again after a Redis restart
    pop_once: Any
    pop_key: str  # this scheduler's last pop, for a retry after a lost reply
    pop_nonce: str  # kept after a pop that failed: it may have run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler: Self = super().from_crawler(crawler)
        scheduler.crawler = crawler
        # scrapy-redis passes spider= to StatsCollector.inc_value (deprecated): counted here instead.
        scheduler.stats = None
        scheduler.idle_seconds = crawler.settings.getfloat("BULLETIN_REDIS_IDLE_SECONDS", 30.0)
        scheduler.wait_seconds = crawler.settings.getfloat("BULLETIN_REDIS_WAIT_SECONDS", 60.0)
        scheduler.held = []
        scheduler.down_since = None
        scheduler.last_busy = time.monotonic()
        scheduler.poll = None
        scheduler.seeding_key = crawler.settings.get("BULLETIN_REDIS_SEEDING_KEY", "bulletin:seeding")
        scheduler.seeded = False
        scheduler.renewed = 0.0
        scheduler.push_unseen = scheduler.server.register_script(PUSH_UNSEEN)
        scheduler.pop_once = scheduler.server.register_script(POP_ONCE)
        scheduler.pop_key = ""
        scheduler.pop_nonce = uuid.uuid4().hex
        crawler.signals.connect(scheduler.on_idle, signal=signals.spider_idle)
        return scheduler

    # -- Scrapy's scheduler interface --------------------------------------------------

    def open(self, spider: Any) -> None:
        super().open(spider)
        self.seeded = False
        if not isinstance(self.queue, PriorityQueue):
            raise TypeError(f"SharedScheduler queues into a PriorityQueue, not {type(self.queue).__name__}")
        self.pop_key = f"{self.queue.key}:popped:{uuid.uuid4().hex}"
        self.last_busy = time.monotonic()
        # Scrapy looks at an idle scheduler only every 5 s (its engine heartbeat); requests
        # another worker pushes should be taken up sooner than that.
        self.poll = task.LoopingCall(self._wake)
        self.poll.start(POLL_SECONDS, now=False)
        self._renew_seeding()

    def close(self, reason: str) -> None:
        if self.poll is not None and self.poll.running:
            self.poll.stop()
        if self.held:
            logger.warning(
                "%s: %d requests found while Redis was unreachable were not queued; "
                "the next `bulletin crawl --redis` finds them again",
                self.spider.name,
                len(self.held),
            )
        with contextlib.suppress(*OUTAGE):  # unreachable: the key expires on its own
            if self.pop_key:
                self.server.delete(self.pop_key)
        if not self.worker:
            with contextlib.suppress(*OUTAGE):  # unreachable: the key expires on its own
                self.server.delete(self.seeding_key)  # the crawl is over: new workers wait for the next
        super().close(reason)  # SCHEDULER_PERSIST: leaves the queue and fingerprints in Redis

    def __len__(self) -> int:
        try:
            return int(super().__len__())
        except OUTAGE as exc:
            self._down(exc)
            return 0

    def enqueue_request(self, request: Request) -> bool:
        try:
            self._push_held()
            queued = self._enqueue(request)
        except OUTAGE as exc:
            self._down(exc)
            self.held.append(request)
            return True
        self._up()
        self.last_busy = time.monotonic()
        if queued:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Request | None:
        try:
            self._push_held()
            request = self._pop()
        except OUTAGE as exc:
            self._down(exc)
            return None
        self._up()
        if request is not None:
            self.seeded = True  # a worker that has had work stops when the queue is idle
            self.last_busy = time.monotonic()
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            pending = len(self.queue) > 0  # not len(self): that one hides an outage
        except OUTAGE as exc:
            self._down(exc)
            return False  # idle: on_idle decides between waiting and giving up
        self._up()
        return pending

    # -- idle and outages ----------------------------------------------------------------

    def on_idle(self) -> None:
        """The spider has nothing to do: wait for Redis or for other workers, or let it close."""
        now = time.monotonic()
        if self.down_since is not None:
            if now - self.down_since < self.wait_seconds:
                raise DontCloseSpider
            logger.error(
                "%s: Redis unreachable for %.0f s (redis.wait_seconds): stopping",
                self.spider.name,
                now - self.down_since,
            )
            raise CloseSpider("redis_unreachable")
        if not self.seeded and self.worker:
            try:
                self.seeded = bool(self.server.exists(self.seeding_key))
            except OUTAGE as exc:
                self._down(exc)
                raise DontCloseSpider from None
            self.last_busy = now  # the idle time starts once a seed has been seen
            if not self.seeded:
                raise DontCloseSpider
        if self.held or now - self.last_busy < self.idle_seconds:
            raise DontCloseSpider
        logger.info("%s: shared queue idle for %.0f s: stopping", self.spider.name, now - self.last_busy)

    @property
    def worker(self) -> bool:
        return bool(getattr(self.spider, "worker", False))

    def _renew_seeding(self) -> None:
        """A seed: keep the seeding key alive while this crawl runs."""
        if self.worker:
            return
        try:
            self.server.set(self.seeding_key, "1", px=int(SEED_ALIVE_SECONDS * 1000))
        except OUTAGE as exc:
            self._down(exc)
            return
        self.renewed = time.monotonic()

    def _wake(self) -> None:
        if not self.worker and time.monotonic() - self.renewed >= SEED_RENEW_SECONDS:
            self._renew_seeding()
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def _enqueue(self, request: Request) -> bool:
        """Queue ``request`` unless its fingerprint is in the filter, as one step in Redis."""
        if request.dont_filter:
            self.queue.push(request)  # ZADD of the same bytes again is a no-op: safe to retry
            return True
        fingerprint = self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)  # the queue's own pickling, as its push does
        added = self.push_unseen(
            keys=[self.df.key, self.queue.key], args=[fingerprint, -request.priority, data]
        )
        if not added:
            self.df.log(request, self.spider)
        return bool(added)

    def _pop(self) -> Request | None:
        data = self.pop_once(keys=[self.queue.key, self.pop_key], args=[self.pop_nonce])
        self.pop_nonce = uuid.uuid4().hex  # it ran and its reply came: the next pop is a new one
        if data is None:
            return None
        request: Request = self.queue._decode_request(data)
        return request

    def _push_held(self) -> None:
        while self.held:
            self._enqueue(self.held[0])
            self.held.pop(0)

    def _down(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning(
                "%s: Redis unreachable (%s): waiting up to %.0f s for it",
                self.spider.name,
                exc,
                self.wait_seconds,
            )

    def _up(self) -> None:
        if self.down_since is not None:
            logger.warning(
                "%s: Redis reachable again after %.0f s: resuming",
                self.spider.name,
                time.monotonic() - self.down_since,
            )
            self.down_since = None
            self.last_busy = time.monotonic()
