"""The small error vocabulary every layer speaks: input, transient, precondition, config, Azure."""

from __future__ import annotations


class LifeboatError(Exception):
    """Base class of every error Lifeboat raises on purpose."""


class InvalidInput(LifeboatError):
    """Permanent: the input is wrong. Answer 4xx or drop with a log line; never retry.

    `field` names the offending field as a dotted path (``data.essentials.alertContext``).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class TransientError(LifeboatError):
    """Worth retrying: throttling, 5xx, timeouts. `retry_after` is seconds, when Azure said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PreconditionNotMet(LifeboatError):
    """The world is not ready yet (a build still running, a copy in progress): wait, then retry."""

    def __init__(self, message: str, wait_seconds: float | None = None) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(message)


class ConfigurationError(LifeboatError):
    """The app's settings are wrong or incomplete. `setting` names the environment variable."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")


class AzureRefused(LifeboatError):
    """Azure answered a request with an error that is neither transient nor (unless asked) denied.

    `status` is the HTTP status (0 without one), `code` Azure's error code, `detail` its
    message, `kind` the SDK's exception class: what a caller branches on (409, 404, 400 ...).
    """

    def __init__(self, message: str, status: int, code: str, detail: str, kind: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.kind = kind
        super().__init__(message)
