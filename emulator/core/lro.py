"""Long-running operations: op-status URLs, polling answers, completion and final results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from emulator.core import errors
from emulator.core.clock import Clock
from emulator.core.router import Request, Response

# An op nobody polls still completes once emulated time moves past this (seconds).
SETTLE_SECONDS = 60.0

OnDone = Callable[[], Any]


@dataclass
class Operation:
    """One async operation and the URLs a poller follows."""

    op_id: str
    url: str
    started: datetime
    polls_left: int
    on_done: OnDone | None
    output_in_status: bool
    location_body: bool
    emit_retry_after: bool = False
    retry_after: int | None = None
    status: str = "InProgress"
    ended: datetime | None = None
    output: Any = None
    # True once a client polled the operation to its end (not settled by emulated time).
    polled: bool = False
    error: errors.ArmError | None = None

    @property
    def location_url(self) -> str:
        """The Location (monitor) URL: Azure puts monitor=true before api-version."""
        return self.url.replace("&api-version=", "&monitor=true&api-version=", 1)

    def headers(
        self, aao: bool = True, location: bool = True, retry_after: int | None = None
    ) -> dict[str, str]:
        """Return the initial-response headers: Azure-AsyncOperation, Location, Retry-After."""
        out: dict[str, str] = {}
        self.retry_after = retry_after
        if aao:
            out["Azure-AsyncOperation"] = self.url
        if location:
            out["Location"] = self.location_url
        # Off by default: azure-core lets a non-zero Retry-After override polling_interval=0.
        if retry_after is not None and self.emit_retry_after:
            out["Retry-After"] = str(retry_after)
        return out

    def complete(self, now: datetime) -> None:
        """Run on_done once; record Succeeded with its output, or Failed with its ArmError."""
        if self.status != "InProgress":
            return
        try:
            self.output = self.on_done() if self.on_done else None
            self.status = "Succeeded"
        except errors.ArmError as exc:
            self.error = exc
            self.status = "Failed"
        self.ended = now

    def status_body(self, clock: Clock) -> dict[str, Any]:
        """Return the Azure-AsyncOperation body for the current state."""
        body: dict[str, Any] = {"startTime": clock.iso(self.started), "status": self.status}
        if self.ended is not None:
            body["endTime"] = clock.iso(self.ended)
        if self.status == "Succeeded" and self.output_in_status and self.output is not None:
            body["properties"] = {"output": self.output}
        if self.error is not None:
            body["error"] = self.error.error_object()
        body["name"] = self.op_id
        return body


class Operations:
    """Registry of operations; serves their status URLs (see Core for the route)."""

    def __init__(self, clock: Clock, endpoint: Callable[[], str], new_guid: Callable[[], str]):
        self._clock = clock
        self._endpoint = endpoint
        self._new_guid = new_guid
        self._ops: dict[str, Operation] = {}
        self.emit_retry_after = False
        # When set, every new operation answers this many InProgress polls (recording replays).
        self.force_polls: int | None = None
        # Set by the Core: returns a replacement on_done that fails the op (fault injection).
        self.failing: Callable[[Request], OnDone | None] | None = None

    def begin(
        self,
        req: Request,
        location: str,
        *,
        segment: str = "operations",
        namespace: str = "Microsoft.Compute",
        polls: int = 1,
        on_done: OnDone | None = None,
        output_in_status: bool = False,
        location_body: bool = False,
    ) -> Operation:
        """Start an operation; it completes after `polls` InProgress answers (0 = at once)."""
        if not location:
            raise ValueError("an operation needs the region of its resource")
        if self.force_polls is not None:
            polls = self.force_polls
        replacement = self.failing(req) if self.failing is not None else None
        on_done = replacement or on_done
        op_id = self._new_guid()
        url = (
            f"{self._endpoint()}/subscriptions/{req.subscription}/providers/{namespace}"
            f"/locations/{location}/{segment}/{op_id}"
            f"?p={self._new_guid()}&api-version={req.api_version}"
        )
        op = Operation(
            op_id,
            url,
            self._clock.now(),
            polls,
            on_done,
            output_in_status,
            location_body,
            self.emit_retry_after,
        )
        self._ops[op_id.lower()] = op
        if polls <= 0:
            op.complete(self._clock.now())
        return op

    def get(self, op_id: str) -> Operation | None:
        """Return the operation with `op_id`, or None."""
        return self._ops.get(op_id.lower())

    def settle(self, now: datetime | None = None, force: bool = False) -> None:
        """Complete ops older than SETTLE_SECONDS (all of them when `force`)."""
        moment = now or self._clock.now()
        limit = timedelta(seconds=SETTLE_SECONDS)
        for op in list(self._ops.values()):
            if op.status == "InProgress" and (force or moment - op.started >= limit):
                op.complete(moment)

    def clear(self) -> None:
        """Forget every operation."""
        self._ops.clear()

    def poll(self, req: Request) -> Response:
        """Answer a GET on an op-status URL (Azure-AsyncOperation or Location/monitor form)."""
        op = self.get(req.params["opid"])
        if op is None or op.url.split("/locations/")[1].split("/")[1].lower() != (
            req.params["segment"].lower()
        ):
            raise errors.ArmError(
                404, "NotFound", f"The operation '{req.params['opid']}' was not found."
            )
        if op.status == "InProgress":
            if op.polls_left <= 0:
                op.polled = True
                op.complete(self._clock.now())
            op.polls_left -= 1
        if (req.arg("monitor") or "").lower() == "true":
            return self._monitor_answer(op)
        return Response.ok(op.status_body(self._clock), _poll_again(op))

    def _monitor_answer(self, op: Operation) -> Response:
        if op.status == "InProgress":
            return Response.accepted(None, {"Location": op.location_url, **_poll_again(op)})
        if op.error is not None:
            raise op.error
        body = op.output if op.location_body else None
        return Response.ok(body)


def _poll_again(op: Operation) -> dict[str, str]:
    """Retry-After on an InProgress poll, as on the initial answer (only when emitted at all)."""
    if op.status == "InProgress" and op.emit_retry_after and op.retry_after is not None:
        return {"Retry-After": str(op.retry_after)}
    return {}
