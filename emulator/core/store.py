"""The resource store: ARM JSON bodies keyed case-insensitively by id, plus private metadata."""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.core import errors

Body = dict[str, Any]
Normalize = Callable[[Body], Body]
Refresh = Callable[[Body, dict[str, Any], datetime], None]

_PREFIX = re.compile(r"^\([^)]*\)\s*")


def clone(value: Any) -> Any:
    """Return a deep copy of JSON-shaped data (dicts, lists, scalars); ~5x faster than deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def clone_body(body: Body) -> Body:
    """Return a deep copy of a resource body."""
    return {k: clone(v) for k, v in body.items()}


def normalize_location(value: str) -> str:
    """Return the programmatic region name ("East US" and "(US) East US" give "eastus")."""
    return _PREFIX.sub("", value.strip()).replace(" ", "").lower()


def type_of(resource_id: str) -> str:
    """Return the full type of an id ("Microsoft.Compute/galleries/images"), '' if none."""
    parts = [p for p in resource_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[at + 1 :]
    return "/".join([rest[0], *rest[1::2]]) if rest else ""


def name_of(resource_id: str) -> str:
    """Return the last segment of an id."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class _Hooks:
    normalize: Normalize | None = None
    refresh: Refresh | None = None


class TypeHooks:
    """Per resource type: `normalize` (seed/put defaults) and `refresh` (clock-driven state)."""

    def __init__(self) -> None:
        self._hooks: dict[str, _Hooks] = {}

    def register(
        self, type_: str, normalize: Normalize | None = None, refresh: Refresh | None = None
    ) -> None:
        """Install hooks for `type_` (full type, case-insensitive); replaces earlier ones."""
        self._hooks[type_.lower()] = _Hooks(normalize, refresh)

    def normalize(self, body: Body) -> Body:
        """Return `body` passed through its type's normalize hook (if any)."""
        hook = self._hooks.get(type_of(body["id"]).lower())
        return hook.normalize(body) if hook and hook.normalize else body

    def refresh(self, body: Body, meta: dict[str, Any], now: datetime) -> None:
        """Apply the type's refresh hook to `body` in place."""
        hook = self._hooks.get(type_of(body["id"]).lower())
        if hook and hook.refresh:
            hook.refresh(body, meta, now)


class Store:
    """Resources by lower-cased id; reads refresh clock-driven state and return deep copies."""

    def __init__(
        self, hooks: TypeHooks, now: Callable[[], datetime], lock: threading.RLock
    ) -> None:
        self._hooks = hooks
        self._now = now
        self.lock = lock
        self._bodies: dict[str, Body] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def _read(self, key: str) -> Body:
        body = self._bodies[key]
        self._hooks.refresh(body, self._meta.setdefault(key, {}), self._now())
        return clone_body(body)

    def get(self, resource_id: str) -> Body | None:
        """Return a copy of the resource, or None."""
        key = resource_id.rstrip("/").lower()
        with self.lock:
            return self._read(key) if key in self._bodies else None

    def require(self, resource_id: str) -> Body:
        """Return a copy of the resource; raise ArmError 404 ResourceNotFound if absent."""
        body = self.get(resource_id)
        if body is None:
            raise errors.not_found(resource_id)
        return body

    def exists(self, resource_id: str) -> bool:
        """True when the resource is stored."""
        with self.lock:
            return resource_id.rstrip("/").lower() in self._bodies

    def put(self, body: Body, meta: dict[str, Any] | None = None) -> Body:
        """Store a copy of `body` (needs `id`); fill name/type; return a copy as stored."""
        stored = clone_body(body)
        rid = stored["id"].rstrip("/")
        stored["id"] = rid
        stored.setdefault("name", name_of(rid))
        stored.setdefault("type", type_of(rid))
        if isinstance(stored.get("location"), str):
            stored["location"] = normalize_location(stored["location"])
        key = rid.lower()
        with self.lock:
            self._bodies[key] = stored
            if meta is not None:
                self._meta[key] = dict(meta)
            return clone_body(stored)

    def delete(self, resource_id: str) -> bool:
        """Remove the resource and its metadata; return whether it existed."""
        key = resource_id.rstrip("/").lower()
        with self.lock:
            self._meta.pop(key, None)
            return self._bodies.pop(key, None) is not None

    def meta(self, resource_id: str) -> dict[str, Any]:
        """Return the emulator-private, mutable metadata dict of a resource."""
        with self.lock:
            return self._meta.setdefault(resource_id.rstrip("/").lower(), {})

    def list(self, type_: str | None = None, scope: str | None = None) -> list[Body]:
        """Return copies of resources of `type_` under id prefix `scope`, sorted by id."""
        prefix = scope.rstrip("/").lower() + "/" if scope else ""
        wanted = type_.lower() if type_ else None
        with self.lock:
            keys = sorted(k for k in self._bodies if k.startswith(prefix))
            if wanted is not None:
                keys = [k for k in keys if type_of(k) == wanted]
            return [self._read(k) for k in keys]

    def all(self) -> builtins.list[Body]:
        """Return copies of every resource, sorted by id."""
        return self.list()

    def ids(self, type_: str | None = None, scope: str | None = None) -> builtins.list[str]:
        """Return stored ids (original case, sorted), optionally of `type_` under `scope`."""
        prefix = scope.rstrip("/").lower() + "/" if scope else ""
        wanted = type_.lower() if type_ else None
        with self.lock:
            return sorted(
                body["id"]
                for key, body in self._bodies.items()
                if key.startswith(prefix) and (wanted is None or type_of(key) == wanted)
            )

    def clear(self) -> None:
        """Forget everything."""
        with self.lock:
            self._bodies.clear()
            self._meta.clear()
