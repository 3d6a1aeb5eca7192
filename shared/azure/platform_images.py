"""Marketplace platform images through the Compute VM images API, by SDK verbs (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read",
)


@dataclass(frozen=True)
class PlatformImage:
    """A platform image reference as an Image Builder source names it."""

    subscription: str
    location: str
    publisher: str
    offer: str
    sku: str
    version: str = "latest"


def _options(retries: int | None) -> dict[str, Any]:
    return {} if retries is None else {"retry_total": retries}


def get_platform_image_generation(
    clients: AzureClients, image: PlatformImage, retries: int | None = None
) -> str | None:
    """Return the image's `hyperVGeneration` ("V1"/"V2"), or None when Azure does not say.

    `latest` is resolved as Azure resolves it: the SKU's versions ordered by name descending,
    the first one. None when the publisher, offer, SKU or version does not exist in
    `image.location` or the version reports no generation. Raises HttpResponseError otherwise
    (throttling, an outage); `retries` overrides the SDK's retry count (0 for a quick probe).
    """
    from azure.core.exceptions import ResourceNotFoundError

    ops = clients.compute(image.subscription).virtual_machine_images
    where = {
        "location": image.location,
        "publisher_name": image.publisher,
        "offer": image.offer,
        "skus": image.sku,
    }
    options = _options(retries)
    try:
        version = image.version
        if version.lower() == "latest":
            newest = ops.list(**where, orderby="name desc", top=1, **options)
            if not newest:
                return None
            version = str(newest[0].name)
        found = ops.get(**where, version=version, **options)
    except ResourceNotFoundError:
        return None
    generation = found.hyper_v_generation  # an enum member, or the string of a newer value
    return str(getattr(generation, "value", generation)) if generation else None
