"""Azure SDK failures on the manual template paths, translated into Lifeboat's error vocabulary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import ConfigurationError, TransientError
from shared.jobs.clock import Clock, system_clock
from shared.jobs.failures import retry_after_seconds

_DENIED = frozenset({401, 403})


@contextmanager
def azure_failures(what: str, clock: Clock = system_clock) -> Iterator[None]:
    """Raise ConfigurationError for a denied Azure call, TransientError for any other failure.

    `what` names the operation in the message. Errors that are not azure-core's pass through.
    """
    from azure.core.exceptions import AzureError, HttpResponseError

    try:
        yield
    except HttpResponseError as exc:
        status = exc.status_code or 0
        code = exc.error.code if exc.error else exc.reason
        if status in _DENIED:
            message = f"{what}: Azure denied access ({code}); check the app's role assignments"
            raise ConfigurationError("role assignments", message) from exc
        headers = getattr(exc.response, "headers", None)
        wait = retry_after_seconds(headers, clock())
        raise TransientError(f"{what}: Azure answered {status} ({code})", wait) from exc
    except AzureError as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from exc
