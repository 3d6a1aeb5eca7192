"""DR resource groups: read one, or create it in its DR region (typed results).

ARM keeps a resource group's metadata in the group's own region: a DR copy in a group homed in
the primary region may turn read-only in that region's outage. So every DR group must be
located in the DR region it serves; `ensure_group` creates a missing one there and refuses one
located elsewhere (ConfigurationError naming the group, its location, the region and the
setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.azure.arm_calls import as_json, missing_is_none, region_of
from shared.azure.failures import DENIED_STATUS, azure_failures
from shared.errors import AzureRefused, ConfigurationError

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/subscriptions/resourceGroups/write",
)

SETTING = "LIFEBOAT_DR_RESOURCE_GROUP"
MANAGED_TAG = {"managed-by": "lifeboat"}
_WRITE = ACTIONS[1]


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group as ARM answers it: name, programmatic location, tags."""

    subscription: str
    name: str
    location: str
    provisioning_state: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


def parse_group(subscription: str, body: Mapping[str, Any]) -> ResourceGroup:
    """Return the typed group of a GET/PUT answer body."""
    props = body.get("properties") or {}
    return ResourceGroup(
        subscription=subscription,
        name=str(body.get("name") or ""),
        location=region_of(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or ""),
        tags=dict(body.get("tags") or {}),
    )


def get_group(clients: AzureClients, subscription: str, name: str) -> ResourceGroup | None:
    """Return the resource group, or None when it does not exist."""
    ops = clients.resources(subscription).resource_groups
    with azure_failures(f"reading resource group {name!r}"):
        body = missing_is_none(lambda: as_json(ops.get(name)))
    return parse_group(subscription, body) if body else None


def wrong_location(group: ResourceGroup, region: str) -> ConfigurationError:
    """The error for a DR group located outside the DR region it must serve."""
    return ConfigurationError(
        SETTING,
        f"resource group {group.name!r} in subscription {group.subscription} is located in "
        f"{group.location}, but it holds the DR copies for {region} and must be located there "
        "(ARM keeps a group's metadata in its region). Move the DR copies to a group in "
        f"{region}: set {SETTING} to a group in that region, e.g. lifeboat-dr-{{region}}",
    )


def check_location(group: ResourceGroup, region: str) -> ResourceGroup:
    """Return `group` when it is located in `region`; raise ConfigurationError otherwise."""
    if group.location != region_of(region):
        raise wrong_location(group, region)
    return group


def ensure_group(clients: AzureClients, subscription: str, name: str, region: str) -> ResourceGroup:
    """Return the DR group `name`, created in `region` when missing (tagged managed by Lifeboat).

    Raises ConfigurationError when the group exists in another location, or when the app may
    not create it (naming the missing action); TransientError / AzureRefused for other failures.
    """
    found = get_group(clients, subscription, name)
    if found is not None:
        return check_location(found, region)
    ops = clients.resources(subscription).resource_groups
    body = {"location": region_of(region), "tags": dict(MANAGED_TAG)}
    try:
        with azure_failures(f"creating resource group {name!r} in {region}", denied=False):
            created = as_json(ops.create_or_update(name, body))
    except AzureRefused as exc:
        if exc.status in DENIED_STATUS:
            raise ConfigurationError(
                SETTING,
                f"resource group {name!r} does not exist in subscription {subscription} and the "
                f"app may not create it: grant {_WRITE} on the subscription, or create the group "
                f"in {region}",
            ) from exc
        if (
            exc.status == 409
        ):  # created meanwhile in another location (InvalidResourceGroupLocation)
            raced = get_group(clients, subscription, name)
            if raced is not None:
                return check_location(raced, region)
        raise
    return check_location(parse_group(subscription, created), region)
