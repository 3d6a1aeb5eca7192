"""Logging configured once for the worker: quiet SDK wire logs, which can carry URLs and headers."""

from __future__ import annotations

import logging

_NOISY = (
    "azure",
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "urllib3",
    "msal",
)


def configure_logging(level: int = logging.INFO) -> None:
    """Set Lifeboat's loggers to `level` and the Azure SDK's to WARNING. Safe to call twice."""
    logging.getLogger("shared").setLevel(level)
    logging.getLogger("functions").setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
