"""The Core: wires store, router, operations, clock, faults and log; dispatches one request."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from emulator.core import errors
from emulator.core.clock import Clock
from emulator.core.faults import Faults
from emulator.core.log import LogEntry, RequestLog, op_type_of
from emulator.core.lro import Operations
from emulator.core.router import Request, Response, Router, split_path
from emulator.core.store import Store, TypeHooks, normalize_location

if TYPE_CHECKING:
    from emulator.azurite import Azurite

logger = logging.getLogger(__name__)

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha)?$")
CONTROL_PREFIX = "/_emulator"
GLOBAL_NAMESPACE = "microsoft.resourcehealth"

Reply = tuple[int, dict[str, str], bytes]


class Core:
    """Everything a provider may use (see emulator/CONTRACT.md)."""

    def __init__(
        self, seed: int = 0, azurite: Azurite | None = None, start: datetime | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.seed_value = seed
        self.azurite = azurite
        self.endpoint = ""
        self.page_size = 100
        self.clock = Clock(start)
        self.types = TypeHooks()
        self.store = Store(self.types, self.clock.now, self.lock)
        self.router = Router()
        # Token buckets refill with emulated time (see Faults).
        self.faults = Faults(seed, time_fn=lambda: self.clock.now().timestamp())
        self.extensions: dict[str, Any] = {}
        # Estate sections other than "resources" (e.g. "resourceSkus"), applied by providers.
        self.seed_sections: dict[str, Callable[[Any], None]] = {}
        self._reset_hooks: list[Callable[[], None]] = []
        self.log = RequestLog()
        # Tracebacks of handler crashes (fault "bug" in the log); tests fail on them.
        self.bugs: list[str] = []
        self._rng = random.Random(seed)
        self.lro = Operations(self.clock, lambda: self.endpoint, self.new_guid)
        self.lro.failing = self._failing_operation
        self.clock.on_advance(self._settle)
        self.router.add(
            "GET",
            "/subscriptions/{sub}/providers/{namespace}/locations/{location}/{segment}/{opid}",
            self.lro.poll,
        )

    def _settle(self, now: datetime) -> None:
        with self.lock:
            self.lro.settle(now)
            # Bring clock-driven state up to `now`, so an event before the next read (a source
            # deleted mid-copy) freezes progress at the right moment.
            self.store.all()

    def _failing_operation(self, req: Request) -> Callable[[], Any] | None:
        error = self.faults.operation_failure(req.method, req.path)
        if error is None:
            return None

        def fail() -> None:
            body = self.store.get(req.resource_id) if req.method in ("PUT", "PATCH") else None
            if body is not None:
                body.setdefault("properties", {})["provisioningState"] = "Failed"
                self.store.put(body)
            raise error

        return fail

    def new_guid(self) -> str:
        """Return a lower-case GUID drawn from the seeded random source."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def paged(self, req: Request, items: list[dict[str, Any]]) -> Response:
        """Return one page of `items` with an absolute nextLink (api-version kept)."""
        start = int(req.arg("$skiptoken") or 0)
        size = max(1, self.page_size)
        body: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            query = [(k, v) for k, v in req.query.items() if k.lower() != "$skiptoken"]
            query.append(("$skiptoken", str(start + size)))
            body["nextLink"] = f"{self.endpoint}{quote(req.path)}?{urlencode(query)}"
        return Response.ok(body)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Call `hook()` on every reset (providers reset their options here)."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Empty store, operations, log and faults; clock and random source back to start."""
        with self.lock:
            for hook in self._reset_hooks:
                hook()
            self.store.clear()
            self.lro.clear()
            self.log.clear()
            self.bugs.clear()
            self.faults.clear()
            self.clock.reset()
            self.page_size = 100
            self.lro.emit_retry_after = False
            self.lro.force_polls = None
            self._rng = random.Random(self.seed_value)

    def seed(self, estate: Mapping[str, Any] | str | Path) -> list[str]:
        """Store the estate's resources (dict or JSON path); return their ids."""
        data: Mapping[str, Any] = (
            estate if isinstance(estate, Mapping) else json.loads(Path(estate).read_text())
        )
        ids: list[str] = []
        with self.lock:
            for item in data.get("resources", []):
                body = {k: v for k, v in item.items() if not k.startswith("_")}
                meta = {k: v for k, v in item.items() if k.startswith("_")}
                body.setdefault("tags", {})
                body.setdefault("properties", {})
                stored = self.store.put(body, meta)
                stored = self.store.put(self.types.normalize(stored))
                ids.append(stored["id"])
            for key, apply in self.seed_sections.items():
                if key in data:
                    apply(data[key])
        return ids

    # ---- request dispatch ----------------------------------------------------------------
    def dispatch(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Reply:
        """Answer one HTTP request; never raises."""
        parts = urlsplit(target)
        req = Request(
            method=method.upper(),
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            endpoint=self.endpoint,
        )
        delay = self.faults.delay()
        if delay:
            time.sleep(delay)
        with self.lock:
            response, fault = self._answer(req, raw)
            if not req.path.startswith(CONTROL_PREFIX):
                response.headers.update(self.faults.quota_headers(req.method, req.subscription))
                self._record(req, response, fault)
        return _encode(response)

    def _answer(self, req: Request, raw: bytes) -> tuple[Response, str | None]:
        fault: str | None = None
        try:
            req.body = _parse_body(raw)
            if req.path.startswith(CONTROL_PREFIX):
                from emulator.core.control import handle

                return handle(self, req), None
            _authenticate(req)
            _check_api_version(req)
            injected = self.faults.before(req.method, req.path, req.subscription)
            if injected is not None:
                fault = injected.code
                raise injected
            if (down := self._region_error(req)) is not None:
                fault = "RegionDown"
                raise down
            handler, req.params = self.router.resolve(req.method, req.path)
            return handler(req), None
        except errors.ArmError as exc:
            return Response(exc.status, exc.body(), dict(exc.headers)), fault
        except Exception:
            logger.exception("emulator handler failed for %s %s", req.method, req.path)
            self.bugs.append(f"{req.method} {req.path}\n{traceback.format_exc()}")
            return Response(500, errors.internal().body()), "bug"

    def _region_error(self, req: Request) -> errors.ArmError | None:
        region, namespace = self.region_of(req)
        try:
            self.faults.check_region(region, namespace or "Microsoft.Resources")
        except errors.ArmError as exc:
            return exc
        return None

    def region_of(self, req: Request) -> tuple[str | None, str | None]:
        """Return (region, namespace) a request addresses; region None when it has none."""
        parts = split_path(req.path)
        lowered = [p.lower() for p in parts]
        if "providers" not in lowered:
            return None, None
        at = lowered.index("providers")
        namespace = parts[at + 1] if len(parts) > at + 1 else None
        if GLOBAL_NAMESPACE in lowered:
            # Resource Health is global: it reports on a down region instead of failing with it.
            return None, None
        if "locations" in lowered[at:]:
            index = lowered.index("locations", at)
            if len(parts) > index + 1:
                return parts[index + 1], namespace
        if req.method == "PUT" and isinstance(req.body, dict):
            location = req.body.get("location")
            if isinstance(location, str) and location:
                return normalize_location(location), namespace
        # Only provider resources count: a resource group's own region is not emulated as down.
        for end in range(len(parts), at + 3, -1):
            stored = self.store.get("/" + "/".join(parts[:end]))
            # Child resources (restore points) have no location: use their parent's.
            if stored is not None and isinstance(stored.get("location"), str):
                return stored["location"], namespace
        return None, namespace

    def _record(self, req: Request, response: Response, fault: str | None) -> None:
        code = None
        if response.status >= 400 and isinstance(response.body, dict):
            code = response.body.get("error", {}).get("code")
        self.log.add(
            LogEntry(
                method=req.method,
                path=req.path,
                query=dict(req.query),
                status=response.status,
                api_version=req.api_version,
                op_type=op_type_of(req.method),
                time=self.clock.now(),
                fault=fault,
                error_code=code,
            )
        )
        response.headers.setdefault("x-ms-request-id", self.new_guid())


def _authenticate(req: Request) -> None:
    """Raise 401 AuthenticationFailed unless the request carries a bearer token (any token).

    ARM's gateway checks this before anything else (api-version, throttling, the resource).
    """
    header = next((v for k, v in req.headers.items() if k.lower() == "authorization"), None)
    denied = errors.unauthenticated(header)
    if denied is not None:
        raise denied


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        ) from None


def _check_api_version(req: Request) -> None:
    if "api-version" not in {k.lower() for k in req.query}:
        raise errors.bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not _API_VERSION.match(req.api_version):
        raise errors.bad_request(
            "InvalidApiVersionParameter",
            f"The api-version '{req.api_version}' is invalid. The supported versions are "
            "'YYYY-MM-DD' dates, optionally with a '-preview' suffix.",
        )


def _encode(response: Response) -> Reply:
    headers = dict(response.headers)
    if response.body is None:
        payload = b""
    else:
        payload = json.dumps(response.body).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    headers["Content-Length"] = str(len(payload))
    return response.status, headers, payload
