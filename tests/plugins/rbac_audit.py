"""RBAC audit: every ARM request app code sends to the emulator must be held by Lifeboat's roles.

How it works. A `sys.addaudithook` hook sees each `http.client.send` (the request line, in the
thread that sends it) to the ARM emulator and notes who sent it:

* "app": a frame of app code (shared/, functions/, function_app.py) is on the sending stack;
* "poller": an azure-core LROPoller thread (status polls and the final GET of an LRO);
* "test": anything else (a test or fixture calling the SDK directly to set up or inspect state).

After each functional / functions test that uses the emulator, every app request is mapped to its
RBAC action (method + path) and must be in the role that holds it where it was sent:
shared.azure.actions.SUBSCRIPTION_ACTIONS anywhere, DR_GROUP_ACTIONS only inside the DR resource
group. Poller requests count when an app request started them (same resource path, or for status
polls the same provider namespace). Test requests never count. A violation fails the test at
teardown, naming the action and the request.

The emulator's own request log cannot tell app requests from test set-up, hence the client-side
hook. Data-plane calls (Azurite) are not audited: locally they are signed with account keys, in
Azure with the identity. Set LIFEBOAT_RBAC_AUDIT_UNDECLARE=<action>[,<action>] to check the check:
the named actions are treated as undeclared, and the tests that exercise them fail. Set
LIFEBOAT_RBAC_AUDIT_REPORT=<file> to write the actions seen (with counts) as JSON.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ROOTS: tuple[str, ...] = (
    str(ROOT / "shared") + os.sep,
    str(ROOT / "functions") + os.sep,
    str(ROOT / "function_app.py"),
)
AUDITED_DIRS = (ROOT / "tests" / "functional", ROOT / "tests" / "functions")
DEFAULT_DR_GROUP = "lifeboat-dr"

# Requests whose action ARM names differently from the method + path rule.
SPECIAL: dict[tuple[str, str], str] = {
    # Resource Graph queries are POSTs that RBAC treats as a read of resources.
    ("POST", "microsoft.resourcegraph/resources"): "Microsoft.ResourceGraph/resources/read",
}
# Status reads the app's LROs need but the roles cannot declare yet, each with the reason.
UNVERIFIED_STATUS_READS = {
    "microsoft.virtualmachineimages/locations/operations/read": (
        "Image Builder LRO status; not in the provider operation list we could check, and a "
        "custom role naming an unknown action is refused (docs/deploy.md, not verified here)"
    ),
}
_REQUEST_LINE = re.compile(rb"^(GET|HEAD|PUT|PATCH|DELETE|POST) (\S+) HTTP/1\.[01]\r\n")
_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


@dataclass(frozen=True)
class Call:
    """One request to the ARM emulator and who sent it."""

    method: str
    path: str
    origin: str


@dataclass(frozen=True)
class Action:
    """The RBAC action of a request; `poll` marks an LRO status read."""

    name: str
    namespace: str
    poll: bool = False


def action_of(method: str, path: str) -> Action:
    """Return the RBAC action ARM checks for `method` on `path` (no query string).

    Raises ValueError for a path that is no ARM resource path.
    """
    parts = [unquote(p) for p in path.split("/") if p]
    low = [p.lower() for p in parts]
    if low[:1] == ["providers"] and len(parts) >= 3:
        namespace, rest = parts[1], parts[2:]
    elif low[:1] == ["subscriptions"] and len(parts) >= 2:
        namespace, rest = _subscription_path(parts[2:], low[2:])
    else:
        raise ValueError(f"not an ARM resource path: {path}")
    types = "/".join(rest[0::2])
    key = (method.upper(), f"{namespace}/{types}".lower())
    if key in SPECIAL:
        return Action(SPECIAL[key], namespace)
    poll = method.upper() == "GET" and len(rest) == 4 and rest[0].lower() == "locations"
    if poll:
        return Action(f"{namespace}/locations/{rest[2]}/read", namespace, poll=True)
    verb = "action" if method.upper() == "POST" else _VERBS[method.upper()]
    return Action(f"{namespace}/{types}/{verb}", namespace)


def _subscription_path(parts: list[str], low: list[str]) -> tuple[str, list[str]]:
    if low[:1] == ["providers"]:
        return parts[1], parts[2:]
    if low[:1] == ["resourcegroups"] and len(low) > 2 and low[2] == "providers":
        return parts[3], parts[4:]
    # Microsoft.Resources itself: the subscription, its locations, resource groups.
    return "Microsoft.Resources", ["subscriptions", "-", *parts]


def _in_group(path: str, group: str) -> bool:
    # LIFEBOAT_DR_RESOURCE_GROUP may hold {region}: one DR group per DR region.
    name = re.escape(group.lower()).replace(re.escape("{region}"), "[a-z0-9]+")
    pattern = rf"^/subscriptions/[^/]+/resourcegroups/{name}(/|$)"
    return re.match(pattern, unquote(path).lower()) is not None


@dataclass(frozen=True)
class Roles:
    """What Lifeboat's roles hold, lower-cased: subscription-wide and DR-group actions."""

    subscription: frozenset[str]
    dr_group: frozenset[str]

    @classmethod
    def declared(cls, undeclare: Sequence[str] = ()) -> Roles:
        """Return the roles shared.azure.actions builds, minus `undeclare` (mutation checks)."""
        from shared.azure.actions import DR_GROUP_ACTIONS, SUBSCRIPTION_ACTIONS

        gone = {a.strip().lower() for a in undeclare if a.strip()}
        return cls(
            frozenset(a.lower() for a in SUBSCRIPTION_ACTIONS) - gone,
            frozenset(a.lower() for a in DR_GROUP_ACTIONS) - gone,
        )

    def problem(self, action: Action, path: str, dr_group: str) -> str | None:
        """Return why `action` on `path` is not held, or None when a role holds it there."""
        name = action.name.lower()
        if name in self.subscription or name in UNVERIFIED_STATUS_READS:
            return None
        if name in self.dr_group:
            if _in_group(path, dr_group):
                return None
            return (
                f"{action.name} is held only on the DR resource group {dr_group!r}; add it to "
                "shared.azure.actions.SUBSCRIPTION_WIDE with a reason, or write into the group"
            )
        where = "ASYNC_OPERATION_ACTIONS" if action.poll else "the calling module's ACTIONS"
        return f"{action.name} is not declared: add it to {where} (shared/azure)"


DATA_PLANE_PREFIXES = ("/eventgrid/", "/loganalytics/")


def _action_or_unknown(call: Call) -> Action:
    try:
        return action_of(call.method, call.path)
    except ValueError:
        return Action(f"{call.method} {call.path} (no ARM resource path)", "")


def attributed(calls: Sequence[Call]) -> list[tuple[Call, Action]]:
    """Return the calls app code is answerable for, with their actions (test calls dropped)."""
    # The emulator's Event Grid publish and Log Analytics query endpoints are data planes of
    # Lifeboat's own topic and workspace (EventGrid Data Sender / Log Analytics Reader there,
    # infra/events.bicep), not ARM requests on the estate.
    calls = [c for c in calls if not c.path.lower().startswith(DATA_PLANE_PREFIXES)]
    mapped = [(c, _action_or_unknown(c)) for c in calls]
    app = [(c, a) for c, a in mapped if c.origin == "app"]
    paths = {c.path.lower() for c, _ in app}
    namespaces = {a.namespace.lower() for _, a in app}
    out = []
    for call, action in mapped:
        started_by_app = (
            action.namespace.lower() in namespaces if action.poll else call.path.lower() in paths
        )
        if call.origin == "app" or (call.origin == "poller" and started_by_app):
            out.append((call, action))
    return out


def violations(calls: Sequence[Call], roles: Roles, dr_group: str) -> list[str]:
    """Return one line per problem (with a count and one request), empty when all are held."""
    found: dict[str, list[Call]] = {}
    for call, action in attributed(calls):
        problem = roles.problem(action, call.path, dr_group)
        if problem:
            found.setdefault(problem, []).append(call)
    return [
        f"{problem} ({len(seen)} requests, e.g. {seen[0].origin} {seen[0].method} {seen[0].path})"
        for problem, seen in sorted(found.items())
    ]


@dataclass
class Recorder:
    """Collects the requests sent to one host:port while it is active."""

    host: str
    port: int
    app_roots: tuple[str, ...] = APP_ROOTS
    calls: list[Call] = field(default_factory=list)
    dr_group: str = DEFAULT_DR_GROUP

    def origin(self, frame: FrameType | None) -> str:
        """Return "poller", "app" or "test" for a request sent from `frame`'s stack."""
        if threading.current_thread().name.startswith("LROPoller("):
            return "poller"
        while frame is not None:
            if frame.f_code.co_filename.startswith(self.app_roots):
                return "app"
            frame = frame.f_back
        return "test"


# The one recorder the hook feeds (a list, so that no `global` statement is needed).
_active: list[Recorder] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "http.client.send":
        return
    if not _active:
        return
    recorder = _active[-1]
    connection, data = args
    if (getattr(connection, "host", None), getattr(connection, "port", None)) != (
        recorder.host,
        recorder.port,
    ):
        return
    line = _REQUEST_LINE.match(bytes(data[:2048])) if isinstance(data, bytes | bytearray) else None
    if line is None:
        return
    path = urlsplit(line.group(2).decode("latin-1")).path
    origin = recorder.origin(sys._getframe(1))
    if origin == "app":
        # Read while the test's settings are still in the environment.
        recorder.dr_group = os.environ.get("LIFEBOAT_DR_RESOURCE_GROUP") or DEFAULT_DR_GROUP
    recorder.calls.append(Call(line.group(1).decode(), path, origin))


sys.addaudithook(_hook)


@contextmanager
def recording(endpoint: str, app_roots: tuple[str, ...] = APP_ROOTS) -> Iterator[Recorder]:
    """Record requests to `endpoint` (https://host:port) for the duration of the block."""
    parts = urlsplit(endpoint)
    recorder = Recorder(parts.hostname or "", parts.port or 443, app_roots)
    _active.append(recorder)
    try:
        yield recorder
    finally:
        _active.remove(recorder)


_seen: Counter[str] = Counter()
_tally = {"tests": 0, "failed": 0}


def _audited(request: pytest.FixtureRequest) -> bool:
    path = Path(str(request.node.path)).resolve()
    in_dirs = any(path.is_relative_to(d) for d in AUDITED_DIRS)
    return in_dirs and "arm_server" in request.fixturenames


@pytest.fixture(autouse=True)
def rbac_audit(request: pytest.FixtureRequest) -> Iterator[Recorder | None]:
    """Record the test's ARM requests; fail it when app code sent one no role holds."""
    if not _audited(request):
        yield None
        return
    arm = request.getfixturevalue("arm_server")
    with recording(arm.endpoint) as recorder:
        yield recorder
    undeclare = os.environ.get("LIFEBOAT_RBAC_AUDIT_UNDECLARE", "").split(",")
    _seen.update(a.name for _, a in attributed(recorder.calls))
    problems = violations(recorder.calls, Roles.declared(undeclare), recorder.dr_group)
    _tally["tests"] += 1
    _tally["failed"] += bool(problems)
    if problems:
        pytest.fail(
            "RBAC audit: app code sent requests its roles do not hold:\n" + "\n".join(problems)
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand this worker's tally to the xdist controller (no-op without xdist)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["rbac_audit"] = {**_tally, "seen": dict(_seen)}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Merge a finished xdist worker's tally."""
    tally = getattr(node, "workeroutput", {}).get("rbac_audit")
    if tally:
        _tally["tests"] += tally["tests"]
        _tally["failed"] += tally["failed"]
        _seen.update(tally["seen"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line: how many app requests were audited, and which declared actions none exercised."""
    if not _tally["tests"]:
        return
    from shared.azure.actions import DR_GROUP_ACTIONS, SUBSCRIPTION_ACTIONS

    report = os.environ.get("LIFEBOAT_RBAC_AUDIT_REPORT")
    if report:
        Path(report).write_text(
            json.dumps({**_tally, "seen": dict(sorted(_seen.items()))}, indent=2)
        )
    seen = {a.lower() for a in _seen}
    unseen = sorted(a for a in SUBSCRIPTION_ACTIONS | DR_GROUP_ACTIONS if a.lower() not in seen)
    verdict = (
        f"{_tally['failed']} tests sent requests no role holds"
        if _tally["failed"]
        else ("all held by the roles")
    )
    terminalreporter.write_line(
        f"rbac audit: {sum(_seen.values())} ARM requests by app code in {_tally['tests']} tests, "
        f"{len(seen)} distinct actions, {verdict}; declared but not exercised by these tests: "
        f"{', '.join(unseen) or 'none'}"
    )
