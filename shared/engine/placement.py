"""DR placement: the DR resource group a write targets exists, located in its DR region.

The one check before DR writes (engine executor, drill network): once per (subscription, DR
group) per worker process (`clients.creations` single flight), the group is read, created in
its DR region when missing, and refused when located elsewhere (ConfigurationError: the job
fails, nothing is written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.config import Settings
from shared.engine.names import dr_group_region, dr_regions, dr_resource_group
from shared.errors import ConfigurationError, InvalidInput

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


def placement_findings(clients: AzureClients, settings: Settings) -> list[dict[str, str]]:
    """Return one finding per DR group of the configuration that is located elsewhere.

    Reads each (subscription, DR region) group (nothing is created); a missing group is no
    finding (the first DR write creates it). Unknown when LIFEBOAT_PRIMARY_REGIONS is unset.
    """
    from shared.azure.resource_groups import check_location, get_group

    out: list[dict[str, str]] = []
    for subscription in settings.subscriptions:
        for region in dr_regions(settings):
            name = dr_resource_group(settings, region)
            group = get_group(clients, subscription, name)
            if group is None:
                continue
            try:
                check_location(group, region)
            except ConfigurationError as exc:
                out.append(
                    {
                        "code": "dr_group_wrong_location",
                        "subscription": subscription,
                        "resourceGroup": group.name,
                        "location": group.location,
                        "drRegion": region,
                        "setting": exc.setting,
                        "message": str(exc),
                    }
                )
    return out
