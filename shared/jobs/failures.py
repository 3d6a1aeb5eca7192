"""What a step's exception means for its job (retry, wait, fail, crash) and how long to back off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.azure.failures import answered_status, lifeboat_error, retry_after_seconds
from shared.errors import ConfigurationError, InvalidInput, PreconditionNotMet, TransientError
from shared.jobs.model import clip

__all__ = ["Failure", "Verdict", "backoff_seconds", "classify", "describe", "retry_after_seconds"]


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


def _http_failure(exc: Exception, now: datetime) -> Failure | None:
    error = lifeboat_error(exc, now=now)
    if isinstance(error, TransientError):
        return Failure(Verdict.RETRY, describe(exc), error.retry_after)
    status = answered_status(exc)
    if status is None:
        return None
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
