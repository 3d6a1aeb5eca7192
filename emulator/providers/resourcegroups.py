"""Resource groups provider: GET/HEAD/PUT/DELETE /subscriptions/{sub}/resourcegroups/{rg}.

Groups are kept beside the store (never in it: they are no `Resources` row of Resource Graph
and no ancestor the core takes a region from). A group springs into existence, located where
that resource is, when a resource with a location is stored in an unknown group (seeded
estates, PUTs): tests written before groups existed are unaffected. `create(sub, name,
location)` (or `POST /_emulator/resourcegroups`) makes one in a chosen location.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response
from emulator.core.store import normalize_location
from emulator.providers.locations import is_known

if TYPE_CHECKING:
    from emulator.core import Core

_PATH = "/subscriptions/{sub}/resourcegroups/{rg}"
_NAME = re.compile(r"^[-\w.()]{1,90}$")
_IN_GROUP = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)(/|$)", re.IGNORECASE)
TYPE = "Microsoft.Resources/resourceGroups"


@dataclass
class Group:
    """One resource group: where ARM keeps its metadata, and its tags."""

    subscription: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    implicit: bool = False

    def body(self) -> dict[str, Any]:
        """The group as ARM renders it (api 2025-04-01)."""
        return {
            "id": f"/subscriptions/{self.subscription}/resourceGroups/{self.name}",
            "name": self.name,
            "type": TYPE,
            "location": self.location,
            "tags": dict(self.tags),
            "properties": {"provisioningState": "Succeeded"},
        }


class ResourceGroups:
    """The emulator's resource groups, keyed by (subscription, name) case-insensitively."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], Group] = {}

    def get(self, subscription: str, name: str) -> Group | None:
        """Return the group, or None."""
        return self._groups.get((subscription.lower(), name.lower()))

    def create(
        self,
        subscription: str,
        name: str,
        location: str,
        tags: Mapping[str, str] | None = None,
        *,
        implicit: bool = False,
    ) -> Group:
        """Create (or replace) a group in `location` (tests: a group in the wrong region)."""
        group = Group(subscription, name, normalize_location(location), dict(tags or {}), implicit)
        self._groups[(subscription.lower(), name.lower())] = group
        return group

    def delete(self, subscription: str, name: str) -> bool:
        """Forget the group; return whether it existed."""
        return self._groups.pop((subscription.lower(), name.lower()), None) is not None

    def all(self) -> list[Group]:
        """Every group, sorted by subscription and name."""
        return [self._groups[k] for k in sorted(self._groups)]

    def clear(self) -> None:
        """Forget every group (arm.reset)."""
        self._groups.clear()

    def implied_by(self, body: Mapping[str, Any]) -> None:
        """Create the group of a resource stored in an unknown group, in its location."""
        match = _IN_GROUP.match(str(body.get("id") or ""))
        location = body.get("location")
        if match is None or not isinstance(location, str) or not location:
            return
        subscription, name = match.group(1), match.group(2)
        if self.get(subscription, name) is None:
            self.create(subscription, name, location, implicit=True)


def _not_found(name: str) -> errors.ArmError:
    return errors.ArmError(
        404,
        "ResourceGroupNotFound",
        f"Resource group '{name}' could not be found.",
        headers={"x-ms-failure-cause": "gateway"},
    )


def _checked_location(name: str, body: Mapping[str, Any]) -> str:
    if not _NAME.match(name) or name.endswith("."):
        raise errors.bad_request(
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters.",
        )
    location = body.get("location")
    if not isinstance(location, str) or not is_known(location):
        raise errors.bad_request(
            "LocationNotAvailableForResourceGroup",
            f"The provided location '{location}' is not available for resource group.",
            target="location",
        )
    return normalize_location(location)


class _Routes:
    """The handlers (one per method) and the control calls."""

    def __init__(self, core: Core, groups: ResourceGroups) -> None:
        self.core = core
        self.groups = groups

    def get(self, req: Request) -> Response:
        group = self.groups.get(req.params["sub"], req.params["rg"])
        if group is None:
            raise _not_found(req.params["rg"])
        return Response.ok(group.body())

    def head(self, req: Request) -> Response:
        found = self.groups.get(req.params["sub"], req.params["rg"]) is not None
        return Response.no_content() if found else Response(404)

    def put(self, req: Request) -> Response:
        sub, name = req.params["sub"], req.params["rg"]
        body = req.json_object()
        location = _checked_location(name, body)
        tags = body.get("tags") or {}
        existing = self.groups.get(sub, name)
        if existing is None:
            return Response.created(self.groups.create(sub, name, location, tags).body())
        if existing.location != location:
            raise errors.conflict(
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The "
                f"Resource group already exists in location '{existing.location}'.",
            )
        existing.tags = dict(tags)
        existing.implicit = False
        return Response.ok(existing.body())

    def delete(self, req: Request) -> Response:
        sub, name = req.params["sub"], req.params["rg"]
        group = self.groups.get(sub, name)
        if group is None:
            raise _not_found(name)

        def finish() -> None:
            scope = f"/subscriptions/{sub}/resourceGroups/{name}"
            for rid in self.core.store.ids(scope=scope):
                self.core.store.delete(rid)
            self.groups.delete(sub, name)

        op = self.core.lro.begin(
            req,
            group.location,
            segment="operationresults",
            namespace="Microsoft.Resources",
            on_done=finish,
        )
        return Response(202, None, headers=op.headers(aao=False, location=True))

    def seed(self, req: Request) -> Response:
        body = req.json_object()
        try:
            sub, name, location = body["subscription"], body["name"], body["location"]
        except KeyError as exc:
            raise errors.bad_request("InvalidParameter", f"missing {exc.args[0]}") from None
        group = self.groups.create(str(sub), str(name), str(location), body.get("tags") or {})
        return Response.ok(group.body())

    def listing(self, req: Request) -> Response:
        return Response.ok({"value": [g.body() for g in self.groups.all()]})


def register(core: Core) -> None:
    """Add the resource-group routes, implicit groups for stored resources, the control call."""
    groups = ResourceGroups()
    core.extensions["resourcegroups"] = groups
    core.on_reset(groups.clear)
    original = core.store.put

    def put_and_imply(body: dict[str, Any], meta: dict[str, Any] | None = None) -> dict[str, Any]:
        groups.implied_by(body)
        return original(body, meta)

    core.store.put = put_and_imply  # type: ignore[method-assign]
    routes = _Routes(core, groups)
    core.router.add("GET", _PATH, routes.get)
    core.router.add("HEAD", _PATH, routes.head)
    core.router.add("PUT", _PATH, routes.put)
    core.router.add("DELETE", _PATH, routes.delete)
    core.router.add("POST", "/_emulator/resourcegroups", routes.seed)
    core.router.add("GET", "/_emulator/resourcegroups", routes.listing)
