"""Requests, responses and the router: method + case-insensitive path patterns with {params}."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core import errors


@dataclass
class Request:
    """One parsed HTTP request as handlers see it."""

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """Return query parameter `name` (case-insensitive), or `default`."""
        lowered = name.lower()
        for key, value in self.query.items():
            if key.lower() == lowered:
                return value
        return default

    @property
    def api_version(self) -> str:
        """The api-version query parameter ('' when absent)."""
        return self.arg("api-version") or ""

    @property
    def resource_id(self) -> str:
        """The request path without a trailing slash (a resource's id for GET/PUT/DELETE)."""
        return self.path.rstrip("/")

    @property
    def subscription(self) -> str:
        """The subscription segment of the path ('' for tenant-level calls)."""
        parts = [p for p in self.path.split("/") if p]
        if len(parts) >= 2 and parts[0].lower() == "subscriptions":
            return parts[1]
        return ""

    def json_object(self) -> dict[str, Any]:
        """Return the body as a dict; raise 400 InvalidRequestContent otherwise."""
        if not isinstance(self.body, dict):
            raise errors.bad_request(
                "InvalidRequestContent",
                "The request content was invalid and could not be "
                "deserialized: expected a JSON object.",
            )
        return self.body


@dataclass
class Response:
    """Status, JSON body (None = empty) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ok(cls, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        """200 with `body`."""
        return cls(200, body, dict(headers or {}))

    @classmethod
    def created(cls, body: Any, headers: dict[str, str] | None = None) -> Response:
        """201 with `body`."""
        return cls(201, body, dict(headers or {}))

    @classmethod
    def accepted(cls, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        """202 with optional `body`."""
        return cls(202, body, dict(headers or {}))

    @classmethod
    def no_content(cls) -> Response:
        """204, empty."""
        return cls(204)


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    segments: tuple[str, ...]
    handler: Handler

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not s.startswith("{"))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(self.segments, parts, strict=True):
            if pattern.startswith("{"):
                params[pattern[1:-1]] = part
            elif pattern.lower() != part.lower():
                return None
        return params


def split_path(path: str) -> list[str]:
    """Return the non-empty segments of `path`."""
    return [p for p in path.split("/") if p]


class Router:
    """Finds the handler for (method, path); more literal segments win."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Register `handler` for `method` on `pattern` ("/a/{b}/c", literals case-insensitive)."""
        route = _Route(method.upper(), tuple(split_path(pattern)), handler)
        self._routes.append(route)
        self._routes.sort(key=lambda r: -r.literal_count)

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """Return (handler, params); raise ArmError 404 (no route) or 405 (wrong method)."""
        parts = split_path(path)
        path_matched = False
        for route in self._routes:
            params = route.match(parts)
            if params is None:
                continue
            if route.method == method.upper():
                return route.handler, params
            path_matched = True
        if path_matched:
            raise errors.ArmError(
                405, "MethodNotAllowed", f"The requested method '{method}' is not allowed."
            )
        raise _no_route(parts)


def _no_route(parts: list[str]) -> errors.ArmError:
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        at = lowered.index("providers")
        namespace = parts[at + 1] if len(parts) > at + 1 else ""
        kind = "/".join(parts[at + 2 :: 2]) or "?"
        return errors.ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{kind}' could not be found in the namespace '{namespace}'.",
        )
    return errors.ArmError(404, "NotFound", "The requested resource was not found.")
