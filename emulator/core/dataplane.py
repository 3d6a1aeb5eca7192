"""Data planes served beside ARM on the same HTTPS endpoint: their own auth, limits and errors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from emulator.core.errors import ArmError
    from emulator.core.router import Request


class DataPlane(Protocol):
    """A non-ARM service (Event Grid publishing, Log Analytics queries) the Core dispatches to.

    The Core runs, in order: `authenticate`, `admit` (size limits, before the body is parsed),
    injected faults (rules only: ARM's token buckets are ARM's), the route, `region` of the
    addressed resource (region down), then the handler. Every ArmError is answered with
    `render(error)` as its body, in the service's own error shape.
    """

    prefix: str
    namespace: str

    def authenticate(self, req: Request) -> None:
        """Raise the service's 401 unless the request carries credentials it accepts."""

    def admit(self, req: Request, raw: bytes) -> None:
        """Raise the service's error for a request it refuses before reading it (413)."""

    def region(self, req: Request) -> str | None:
        """Return the region of the addressed resource (raise the service's 404 if none)."""

    def render(self, error: ArmError) -> dict[str, Any]:
        """Return the JSON body for `error` in the service's error shape."""


def header(req: Request, name: str) -> str | None:
    """Return request header `name` (case-insensitive), or None."""
    lowered = name.lower()
    return next((v for k, v in req.headers.items() if k.lower() == lowered), None)


def bearer_token(req: Request) -> str | None:
    """Return the bearer token of the Authorization header, or None when there is none."""
    scheme, _, token = (header(req, "Authorization") or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_audience(token: str) -> str | None:
    """Return the `aud` claim of a JWT (unverified), or None for an opaque token.

    The emulator cannot verify signatures; reading `aud` still catches a client that asks for
    a token with the wrong scope (Azure answers 401 for a token minted for another resource).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    audience = claims.get("aud") if isinstance(claims, dict) else None
    return audience if isinstance(audience, str) else None


def audience_accepted(token: str, audience: str) -> bool:
    """True when `token` is opaque or a JWT whose `aud` is `audience` (trailing '/' ignored)."""
    found = token_audience(token)
    return found is None or found.rstrip("/").lower() == audience.rstrip("/").lower()
