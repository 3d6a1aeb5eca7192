"""What a step's exception means for its job (retry, wait, fail, crash) and how long to back off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from shared.errors import ConfigurationError, InvalidInput, PreconditionNotMet, TransientError
from shared.jobs.model import clip, utc

# Status codes worth retrying: request timeout, throttling, and every server error.
_RETRYABLE_STATUS = frozenset({408, 429})


class Verdict(StrEnum):
    """How the job reacts to a step's exception."""

    RETRY = "retry"
    WAIT = "wait"
    FAIL = "fail"
    CRASH = "crash"


@dataclass(frozen=True)
class Failure:
    """A classified step exception; `delay` is seconds Azure (or the step) asked us to wait."""

    verdict: Verdict
    message: str
    delay: float | None = None


def describe(exc: BaseException) -> str:
    """Return a bounded one-line description of `exc` (type and message) for job records."""
    text = " ".join(str(exc).split())
    return clip(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, 500)


def retry_after_seconds(headers: Any, now: datetime) -> float | None:
    """Return the wait Azure asked for in `headers` (ms headers, then Retry-After), or None."""
    if not headers:
        return None
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / 1000.0)
            except ValueError:
                continue
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (utc(parsedate_to_datetime(value)) - utc(now)).total_seconds())
    except (TypeError, ValueError):
        return None


def _http_failure(exc: Exception, now: datetime) -> Failure | None:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return Failure(Verdict.RETRY, describe(exc))
    if not isinstance(exc, HttpResponseError):
        return None
    status = exc.status_code or 0
    response = exc.response
    if status in _RETRYABLE_STATUS or status >= 500:
        headers = getattr(response, "headers", None)
        return Failure(Verdict.RETRY, describe(exc), retry_after_seconds(headers, now))
    # Any other 4xx from Azure is a permanent answer about this request (403, 404, 400 ...).
    return Failure(Verdict.FAIL, f"HTTP {status}: {describe(exc)}")


def classify(exc: Exception, now: datetime) -> Failure:
    """Return what `exc`, raised by a step, means for its job.

    TransientError, timeouts, connection errors, HTTP 408/429/5xx → RETRY (with Retry-After);
    PreconditionNotMet → WAIT; InvalidInput, ConfigurationError, other HTTP 4xx → FAIL;
    anything else → CRASH (a bug: the message is redelivered, then poisoned).
    """
    if isinstance(exc, TransientError):
        return Failure(Verdict.RETRY, describe(exc), exc.retry_after)
    if isinstance(exc, PreconditionNotMet):
        return Failure(Verdict.WAIT, " ".join(str(exc).split()), exc.wait_seconds)
    if isinstance(exc, (InvalidInput, ConfigurationError)):
        return Failure(Verdict.FAIL, describe(exc))
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return Failure(Verdict.RETRY, describe(exc))
    http = _http_failure(exc, now)
    if http is not None:
        return http
    return Failure(Verdict.CRASH, describe(exc))


def backoff_seconds(retry: int, base: float, cap: float, retry_after: float | None) -> float:
    """Return the delay before retry number `retry` (1-based).

    Azure's Retry-After wins when given; otherwise base * 2^(retry-1), capped at `cap`.
    """
    if retry_after is not None:
        return max(0.0, retry_after)
    return float(min(cap, base * (2 ** max(0, retry - 1))))
