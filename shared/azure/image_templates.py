"""Image Builder templates through the SDK, by SDK verbs.

The source images a template names are read with the typed readers of `galleries` and
`managed_images`; ACTIONS lists their reads because the template feature makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure import resource_graph

if TYPE_CHECKING:
    from azure.core.polling import LROPoller

    from shared.azure.clients import AzureClients

# A PUT that attaches a user-assigned identity (every Image Builder template has one) passes
# ARM's linked-access check only with assign/action on that identity.
ASSIGN_IDENTITY_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"

# A restored template with vmProfile.vnetConfig builds in the DR subnet: ARM checks, on that
# subnet, that the caller may join it and read it (LIFEBOAT_SUBNET_MAP names the DR subnets).
SUBNET_ACTIONS: tuple[str, ...] = (
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Network/virtualNetworks/subnets/read",
)
LINKED_ACTIONS: tuple[str, ...] = (ASSIGN_IDENTITY_ACTION, *SUBNET_ACTIONS)

ACTIONS: tuple[str, ...] = (
    "Microsoft.VirtualMachineImages/imageTemplates/read",
    "Microsoft.VirtualMachineImages/imageTemplates/write",
    ASSIGN_IDENTITY_ACTION,
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/images/read",
    *resource_graph.ACTIONS,
)

_TEMPLATES_QUERY = (
    "resources"
    " | where type =~ 'microsoft.virtualmachineimages/imagetemplates'"
    " | project id, name, location, tags"
    " | order by id asc"
)


@dataclass(frozen=True)
class TemplateListing:
    """One image template as Resource Graph lists it: enough to decide whether to read it."""

    id: ResourceId
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)


def image_builder_api_version(clients: AzureClients, subscription: str) -> str:
    """Return the api-version the Image Builder client reads and writes templates with."""
    config = getattr(clients.image_builder(subscription), "_config", None)
    return str(getattr(config, "api_version", "") or "")


def get_image_template(clients: AzureClients, template_id: ResourceId) -> dict[str, Any] | None:
    """Return the template's ARM JSON (REST field names), or None when it does not exist.

    Raises azure.core.exceptions.HttpResponseError for any other failure (throttling, outage).
    """
    from azure.core.exceptions import ResourceNotFoundError

    client = clients.image_builder(template_id.subscription)
    try:
        model = client.virtual_machine_image_templates.get(
            template_id.resource_group or "", template_id.name
        )
    except ResourceNotFoundError:
        return None
    result: dict[str, Any] = model.as_dict()
    return result


def begin_create_image_template(
    clients: AzureClients, template_id: ResourceId, body: Mapping[str, Any]
) -> LROPoller[Any]:
    """Start the PUT of `body` as template `template_id`; return the SDK poller.

    Raises azure.core.exceptions.ResourceExistsError (409) when the name is taken: Image
    Builder does not update templates in place.
    """
    client = clients.image_builder(template_id.subscription)
    poller: LROPoller[Any] = client.virtual_machine_image_templates.begin_create_or_update(
        template_id.resource_group or "", template_id.name, dict(body)
    )
    return poller


def list_image_templates(
    clients: AzureClients, subscriptions: tuple[str, ...], page_size: int = 1000
) -> list[TemplateListing]:
    """Return every image template in `subscriptions`, via Resource Graph (all pages).

    Raises azure.core.exceptions.HttpResponseError when Resource Graph fails.
    """
    rows = resource_graph.query_resources(clients, _TEMPLATES_QUERY, subscriptions, page_size)
    return [
        TemplateListing(
            ResourceId.parse(row.get("id"), "resourceGraph.id"),
            str(row.get("location") or ""),
            dict(row.get("tags") or {}),
        )
        for row in rows
    ]
