"""The one translation of azure-core failures into Lifeboat's error vocabulary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from shared.errors import AzureRefused, ConfigurationError, LifeboatError, TransientError

ACTIONS: tuple[str, ...] = ()  # performs no ARM call of its own

# Request timeout, throttling and every server error are worth retrying.
RETRYABLE_STATUS = frozenset({408, 429})
DENIED_STATUS = frozenset({401, 403})


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def retry_after_seconds(headers: Mapping[str, Any] | None, now: datetime) -> float | None:
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
        return max(0.0, (_utc(parsedate_to_datetime(value)) - _utc(now)).total_seconds())
    except (TypeError, ValueError):
        return None


def is_retryable_status(status: int) -> bool:
    """True for the HTTP statuses a later attempt may well succeed on (408, 429, 5xx)."""
    return status in RETRYABLE_STATUS or status >= 500


def answered_status(exc: BaseException) -> int | None:
    """The HTTP status of the Azure answer `exc` carries (0 without one); None for anything else."""
    from azure.core.exceptions import HttpResponseError

    if not isinstance(exc, HttpResponseError):
        return None
    return exc.status_code or 0


def _code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", None) or getattr(exc, "reason", None) or "")


def lifeboat_error(
    exc: BaseException, what: str = "Azure", now: datetime | None = None
) -> LifeboatError | None:
    """Return the Lifeboat error `exc` stands for, or None when callers must branch on it.

    Throttling, 408/5xx answers, connection failures and timeouts → TransientError (with
    Azure's Retry-After); 401/403 → ConfigurationError (the app's role assignments); any
    other answer (404, 409, 400 ...) and anything that is not an Azure failure → None.
    """
    from azure.core.exceptions import AzureError, HttpResponseError

    if isinstance(exc, LifeboatError):
        return exc
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = exc.status_code
        if status in DENIED_STATUS:
            denied = f"Azure denied access ({_code(exc)}); check the app's role assignments"
            message = f"{what}: {denied}"
            return ConfigurationError("role assignments", message)
        if not is_retryable_status(status):
            return None
        headers = getattr(exc.response, "headers", None)
        wait = retry_after_seconds(headers, now or datetime.now(UTC))
        return TransientError(f"{what}: Azure answered {status} ({_code(exc)})", wait)
    if isinstance(exc, HttpResponseError):
        return None  # an answer without a status (undecodable body): not known to be transient
    if isinstance(exc, (AzureError, TimeoutError, ConnectionError)):
        return TransientError(f"{what}: {type(exc).__name__}")
    return None


# What azure_failures raises: a caller that treats every Azure failure alike catches these.
AZURE_FAILURES: tuple[type[LifeboatError], ...] = (TransientError, ConfigurationError, AzureRefused)


def refusal(exc: BaseException, what: str) -> AzureRefused:
    """Return `exc` (an Azure failure no translation claimed) as an AzureRefused."""
    error = getattr(exc, "error", None)
    status = answered_status(exc) or 0
    code = str(getattr(error, "code", None) or status or "")
    detail = str(getattr(error, "message", None) or getattr(exc, "reason", None) or exc)
    message = f"{what}: Azure answered {status} ({_code(exc) or type(exc).__name__})"
    return AzureRefused(message, status, code, detail, type(exc).__name__)


@contextmanager
def azure_failures(what: str, denied: bool = True) -> Iterator[None]:
    """Raise every Azure SDK failure inside as Lifeboat's own (the SDK's stays the __cause__).

    Transient failures → TransientError, 401/403 → ConfigurationError (`denied=False`: an
    AzureRefused, for callers that explain which permission is missing), any other answer →
    AzureRefused.
    """
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        status = answered_status(exc)
        error = None if (not denied and status in DENIED_STATUS) else lifeboat_error(exc, what)
        raise (error or refusal(exc, what)) from exc


def azure_kind(exc: BaseException) -> str:
    """The SDK exception class behind a translated failure (else `exc`'s own class name)."""
    return type(exc.__cause__ or exc).__name__
