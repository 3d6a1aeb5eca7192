"""Image Builder templates (and the source images they name), through the SDK, by SDK verbs."""

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


def _options(retries: int | None) -> dict[str, Any]:
    return {} if retries is None else {"retry_total": retries}


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


def get_gallery_image(
    clients: AzureClients, image_id: ResourceId, retries: int | None = None
) -> dict[str, Any] | None:
    """Return a gallery image definition's ARM JSON, or None when it does not exist.

    `retries` overrides the SDK's retry count (0 for a quick probe). Raises HttpResponseError.
    """
    from azure.core.exceptions import ResourceNotFoundError

    gallery, image = image_id.names[0], image_id.names[1]
    client = clients.compute(image_id.subscription)
    try:
        model = client.gallery_images.get(
            image_id.resource_group or "", gallery, image, **_options(retries)
        )
    except ResourceNotFoundError:
        return None
    result: dict[str, Any] = model.as_dict()
    return result


def get_gallery_image_version(
    clients: AzureClients, version_id: ResourceId, retries: int | None = None
) -> dict[str, Any] | None:
    """Return a gallery image version's ARM JSON with its replicationStatus, or None if absent.

    `retries` overrides the SDK's retry count (0 for a quick probe). Raises HttpResponseError.
    """
    from azure.core.exceptions import ResourceNotFoundError

    gallery, image, version = version_id.names[0], version_id.names[1], version_id.names[2]
    client = clients.compute(version_id.subscription)
    try:
        model = client.gallery_image_versions.get(
            version_id.resource_group or "",
            gallery,
            image,
            version,
            expand="ReplicationStatus",
            **_options(retries),
        )
    except ResourceNotFoundError:
        return None
    result: dict[str, Any] = model.as_dict()
    return result


def get_managed_image(
    clients: AzureClients, image_id: ResourceId, retries: int | None = None
) -> dict[str, Any] | None:
    """Return a managed image's ARM JSON, or None when it does not exist.

    `retries` overrides the SDK's retry count (0 for a quick probe). Raises HttpResponseError.
    """
    from azure.core.exceptions import ResourceNotFoundError

    client = clients.compute(image_id.subscription)
    try:
        model = client.images.get(image_id.resource_group or "", image_id.name, **_options(retries))
    except ResourceNotFoundError:
        return None
    result: dict[str, Any] = model.as_dict()
    return result
