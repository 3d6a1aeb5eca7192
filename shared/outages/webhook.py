"""Sends a plan's notification to the configured incoming webhook (Teams / Slack).

https only, no redirects followed (a redirect could point anywhere, SSRF), a short timeout, and
a failure is logged, never raised: announcing a plan never blocks making or running it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def is_safe_url(url: str) -> bool:
    """True for an https URL with a host and no credentials in it."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username


def post_json(url: str, body: dict[str, Any], context: Any = None) -> bool:
    """POST `body` to `url`; return True on a 2xx answer, False (logged) on anything else."""
    if not is_safe_url(url):
        logger.warning("outage webhook refused: only https URLs without credentials are used")
        return False
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    handlers: list[Any] = [_NoRedirects()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            ok = 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError) as exc:
        logger.warning("outage webhook failed: %s", type(exc).__name__)
        return False
    if not ok:
        logger.warning("outage webhook answered %s", response.status)
    return ok
