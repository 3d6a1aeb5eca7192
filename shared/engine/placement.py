"""DR placement: the DR resource group a write targets exists, located in its DR region.

The one check before DR writes (engine executor, drill network): once per (subscription, DR
group) per worker process (`clients.creations` single flight), the group is read, created in
its DR region when missing, and refused when located elsewhere (ConfigurationError: the job
fails, nothing is written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.config import Settings
from shared.engine.names import dr_group_region, dr_regions, dr_resource_group
from shared.errors import ConfigurationError, InvalidInput

SETTING = "LIFEBOAT_DR_RESOURCE_GROUP"

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients
    from shared.azure.resource_groups import ResourceGroup


def dr_group_of(settings: Settings, target: str) -> tuple[str, str, str] | None:
    """Return (subscription, DR group, DR region) of an ARM id inside a DR group, else None.

    None for blob URLs, ids outside every DR group, and a group without placeholder while
    LIFEBOAT_PRIMARY_REGIONS is unset (its region cannot be known, so it is not checked).
    """
    try:
        rid = ResourceId.parse(target, "action.target")
    except InvalidInput:
        return None
    region = dr_group_region(settings, rid.resource_group)
    if region is None or rid.resource_group is None:
        return None
    return rid.subscription.lower(), rid.resource_group, region


def ensure_dr_group(clients: AzureClients, settings: Settings, target: str) -> None:
    """Make sure the DR group `target` lies in exists in its DR region (once per process).

    Raises ConfigurationError when the group is located elsewhere or may not be created,
    TransientError when Azure did not answer.
    """
    from shared.azure.resource_groups import ensure_group

    found = dr_group_of(settings, target)
    if found is None:
        return
    subscription, group, region = found

    def ensure() -> ResourceGroup:
        return ensure_group(clients, subscription, group, region)

    clients.creations.run(f"resource-group:{subscription}/{group}", ensure, lambda _: True)


def placement_status(clients: AzureClients, settings: Settings) -> dict[str, Any]:
    """Return the DR placement part of GET /api/status: each (subscription, DR region) group.

    Reads each group (nothing is created): `state` is `ok` (located in its DR region),
    `missing` (the first DR write creates it, no finding), `wrong_location` or `unreadable`
    (both findings, naming what to fix). Empty when LIFEBOAT_PRIMARY_REGIONS is unset.
    """
    from shared.azure.failures import AZURE_FAILURES
    from shared.azure.resource_groups import check_location, get_group

    groups: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for subscription in settings.subscriptions:
        for region in dr_regions(settings):
            name = dr_resource_group(settings, region)
            entry: dict[str, Any] = {
                "subscription": subscription,
                "resourceGroup": name,
                "drRegion": region,
                "location": None,
                "state": "missing",
            }
            groups.append(entry)
            try:
                group = get_group(clients, subscription, name)
                if group is None:
                    continue
                entry["location"] = group.location
                check_location(group, region)
                entry["state"] = "ok"
            except AZURE_FAILURES as exc:
                wrong = isinstance(exc, ConfigurationError) and entry["location"] is not None
                entry["state"] = "wrong_location" if wrong else "unreadable"
                findings.append(
                    {
                        "code": f"dr_group_{entry['state']}",
                        "subscription": subscription,
                        "resourceGroup": name,
                        "drRegion": region,
                        "location": entry["location"],
                        "setting": getattr(exc, "setting", SETTING),
                        "message": str(exc),
                    }
                )
    return {"setting": SETTING, "groups": groups, "findings": findings}
