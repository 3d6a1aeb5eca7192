"""Fault injection, deterministic from a seed: latency, 429 storms, token buckets, 5xx, regions."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.core import errors
from emulator.core.errors import region_unavailable, server_error
from emulator.core.store import normalize_location

# azure-facts §6: per subscription (and tenant) token buckets per operation type.
DEFAULT_BUCKETS: dict[str, tuple[int, float]] = {
    "reads": (250, 25.0),
    "writes": (200, 10.0),
    "deletes": (200, 10.0),
}
_CATEGORY = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}


def category_of(method: str) -> str:
    """Return the throttling bucket of a method: reads, writes (PUT/PATCH/POST) or deletes."""
    return _CATEGORY.get(method.upper(), "writes")


@dataclass
class _Rule:
    rate: float
    methods: frozenset[str] | None
    path_contains: str | None
    remaining: int | None
    status: int = 429

    def applies(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_contains is None or self.path_contains.lower() in path.lower()


@dataclass
class _Bucket:
    capacity: int
    refill: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill)
        self.stamp = max(now, self.stamp)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Faults:
    """Configure with the public methods; the server calls `before()` and `quota_headers()`.

    Token buckets refill by `time_fn` (seconds): the Core passes its emulated clock.
    """

    def __init__(self, seed: int = 0, time_fn: Callable[[], float] = time.monotonic) -> None:
        self._seed = seed
        self._clock_time = time_fn
        self._time = time_fn
        self._lock = threading.RLock()
        self.clear()

    # ---- configuration -------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every fault and re-seed the random source (regions come back up)."""
        with self._lock:
            self._rng = random.Random(self._seed)
            self._latency = (0.0, 0.0)
            self._rules: list[_Rule] = []
            self._op_rules: list[tuple[_Rule, str, str]] = []
            self._down: set[str] = set()
            self._buckets: dict[tuple[str, str], _Bucket] | None = None
            self._bucket_sizes = dict(DEFAULT_BUCKETS)
            self._time = self._clock_time
            self.retry_after_seconds = 1
            self.retry_after_ms: int | None = None

    def latency(self, seconds: float, jitter: float = 0.0) -> None:
        """Sleep `seconds` (+ uniform 0..jitter) of real time before answering each call."""
        self._latency = (seconds, jitter)

    def throttle(
        self,
        rate: float = 1.0,
        *,
        count: int | None = None,
        methods: tuple[str, ...] | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer 429 TooManyRequests to matching calls with probability `rate` (`count` max)."""
        self._add(_Rule(rate, _methods(methods), path_contains, count, 429))

    def server_errors(
        self,
        rate: float,
        *,
        status: int = 500,
        count: int | None = None,
        methods: tuple[str, ...] | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer `status` (500/502/503/504) to matching calls with probability `rate`."""
        self._add(_Rule(rate, _methods(methods), path_contains, count, status))

    def fail_operations(
        self,
        rate: float = 1.0,
        *,
        count: int | None = None,
        methods: tuple[str, ...] | None = None,
        path_contains: str | None = None,
        code: str = "InternalExecutionError",
        message: str = "An internal execution error occurred. Please retry later.",
    ) -> None:
        """Let matching long-running operations end Failed with {code, message} (HTTP stays 2xx)."""
        with self._lock:
            rule = _Rule(rate, _methods(methods), path_contains, count)
            self._op_rules.append((rule, code, message))

    def operation_failure(self, method: str, path: str) -> errors.ArmError | None:
        """Return the error a new operation for this call must end with, or None."""
        with self._lock:
            for rule, code, message in self._op_rules:
                if rule.applies(method, path) and self._rng.random() < rule.rate:
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return errors.ArmError(200, code, message)
        return None

    def rate_limits(
        self,
        enabled: bool = True,
        buckets: dict[str, tuple[int, float]] | None = None,
        *,
        real_time: bool = False,
    ) -> None:
        """Enable ARM token buckets (capacity, refill/s) per subscription and operation type.

        They refill with `time_fn` (emulated clock), or real time when `real_time` (benchmarks
        whose clients really sleep on Retry-After); their 429s carry the true Retry-After.
        """
        with self._lock:
            self._bucket_sizes = {**DEFAULT_BUCKETS, **(buckets or {})}
            self._buckets = {} if enabled else None
            self._time = time.monotonic if real_time else self._clock_time

    def fast_retries(self, milliseconds: int | None = 5) -> None:
        """Make injected errors carry a short retry-after-ms (and Retry-After) for quick retries."""
        self.retry_after_ms = milliseconds

    def region_down(self, region: str) -> None:
        """Fail every request addressed to `region` as ARM does during a regional outage."""
        self._down.add(normalize_location(region))

    def region_up(self, region: str) -> None:
        """Bring `region` back."""
        self._down.discard(normalize_location(region))

    def is_region_down(self, region: str | None) -> bool:
        """True when `region` is marked down."""
        return bool(region) and normalize_location(region or "") in self._down

    def check_region(self, region: str | None, namespace: str = "Microsoft.Compute") -> None:
        """Raise the region-down ArmError when `region` is down."""
        if region and self.is_region_down(region):
            error = region_unavailable(normalize_location(region), namespace)
            error.headers.update(self.fast_retry_headers())
            raise error

    def fast_retry_headers(self) -> dict[str, str]:
        """Retry-After headers for injected 5xx when fast_retries is on (else none)."""
        return self._retry_headers(1) if self.retry_after_ms is not None else {}

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    # ---- used by the server --------------------------------------------------------------
    def delay(self) -> float:
        """Return the real seconds to sleep before answering this call."""
        base, jitter = self._latency
        if not base and not jitter:
            return 0.0
        with self._lock:
            return base + (self._rng.uniform(0, jitter) if jitter else 0.0)

    def before(self, method: str, path: str, subscription: str) -> errors.ArmError | None:
        """Return the injected error for this call (rules first, then token buckets), or None."""
        with self._lock:
            return self.injected(method, path) or self._take_token(method, subscription)

    def injected(self, method: str, path: str) -> errors.ArmError | None:
        """Return the error an injected rule (429 storm, 5xx) gives this call, or None.

        Data planes (Event Grid, Log Analytics) use this alone: ARM's token buckets are ARM's.
        """
        with self._lock:
            for rule in self._rules:
                if rule.applies(method, path) and self._rng.random() < rule.rate:
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return self._rule_error(rule, method)
        return None

    def quota_headers(self, method: str, subscription: str) -> dict[str, str]:
        """Return x-ms-ratelimit-remaining-* for the call's bucket (empty when disabled)."""
        with self._lock:
            if self._buckets is None:
                return {}
            category = category_of(method)
            bucket = self._buckets.get((subscription.lower(), category))
            if bucket is None:
                return {}
            scope = "subscription" if subscription else "tenant"
            return {f"x-ms-ratelimit-remaining-{scope}-{category}": str(int(bucket.tokens))}

    def _take_token(self, method: str, subscription: str) -> errors.ArmError | None:
        if self._buckets is None:
            return None
        category = category_of(method)
        key = (subscription.lower(), category)
        bucket = self._buckets.get(key)
        if bucket is None:
            capacity, refill = self._bucket_sizes[category]
            bucket = self._buckets[key] = _Bucket(capacity, refill, capacity, self._time())
        if bucket.take(self._time()):
            return None
        wait = max(1, math.ceil((1 - bucket.tokens) / bucket.refill))
        return self._bucket_error(category, subscription, wait)

    def _retry_headers(self, seconds: int) -> dict[str, str]:
        if self.retry_after_ms is None:
            return {"Retry-After": str(seconds)}
        # azure-core reads Retry-After before retry-after-ms, and only retries a POST 429 when
        # Retry-After is present, so fast mode sends both with the short value.
        return {
            "Retry-After": f"{self.retry_after_ms / 1000:.3f}",
            "retry-after-ms": str(self.retry_after_ms),
        }

    def _rule_error(self, rule: _Rule, method: str) -> errors.ArmError:
        if rule.status == 429:
            seconds = self.retry_after_seconds
            return errors.ArmError(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation "
                f"type - {category_of(method).capitalize()}_3Min. "
                "For more information, see - https://aka.ms/computethrottling",
                headers=self._retry_headers(seconds),
            )
        error = server_error(rule.status)
        error.headers.update(self.fast_retry_headers())
        return error

    def _bucket_error(self, category: str, subscription: str, wait: int) -> errors.ArmError:
        kind = category.rstrip("s")
        return errors.ArmError(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{kind}' requests for subscription '{subscription}' actor "
            "'00000000-0000-0000-0000-000000000000' exceeded. Please try again after "
            f"'{wait}' seconds after additional tokens are available. Refer to "
            "https://aka.ms/arm-throttling for additional information.",
            # The true wait: a shorter one would only make the client fail its retries.
            headers={
                "Retry-After": str(wait),
                f"x-ms-ratelimit-remaining-subscription-{category}": "0",
            },
        )


def _methods(methods: tuple[str, ...] | None) -> frozenset[str] | None:
    return frozenset(m.upper() for m in methods) if methods else None
