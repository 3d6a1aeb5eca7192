"""Azure Compute Gallery access: galleries, image definitions, image versions (typed results)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, rg
from shared.regions import normalize_region

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/write",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/write",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
    "Microsoft.Compute/galleries/images/versions/delete",
    "Microsoft.Compute/galleries/images/delete",
    "Microsoft.Resources/subscriptions/locations/read",
)


@dataclass(frozen=True)
class TargetRegion:
    """One entry of a version's publishingProfile.targetRegions; `body` is resent unchanged."""

    name: str
    replica_count: int | None = None
    storage_account_type: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def as_body(self) -> dict[str, Any]:
        """Return the REST body for this region: Azure's own fields kept, ours filled in."""
        out = dict(self.body)
        out.setdefault("name", self.name)
        if self.replica_count is not None:
            out.setdefault("regionalReplicaCount", self.replica_count)
        if self.storage_account_type is not None:
            out.setdefault("storageAccountType", self.storage_account_type)
        return out


@dataclass(frozen=True)
class RegionReplication:
    """Replication of a version into one region (state Unknown|Replicating|Completed|Failed)."""

    state: str
    progress: int | None = None
    details: str | None = None


@dataclass(frozen=True)
class Gallery:
    """A gallery: where its control plane lives."""

    id: ResourceId
    location: str
    provisioning_state: str
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ImageDefinition:
    """A gallery image definition, with the properties a copy must share."""

    id: ResourceId
    location: str
    provisioning_state: str
    os_type: str
    os_state: str
    hyper_v_generation: str | None
    identifier: tuple[str, str, str]
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False)
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ImageVersion:
    """A gallery image version with its target regions and per-region replication state."""

    id: ResourceId
    location: str
    provisioning_state: str
    target_regions: tuple[TargetRegion, ...] = ()
    replication: Mapping[str, RegionReplication] = field(default_factory=dict)
    source_id: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def targets(self, region: str) -> bool:
        """True when `region` is one of the version's target regions."""
        return any(t.name == region for t in self.target_regions)


def _retries(retries: int | None) -> dict[str, Any]:
    """SDK call options: `retry_total` when the caller sets the retry count (0: one attempt)."""
    return {} if retries is None else {"retry_total": retries}


def _region(value: Any) -> str:
    return normalize_region(value, "location") if value else ""


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    props = body.get("properties")
    return props if isinstance(props, Mapping) else {}


def parse_gallery(body: Mapping[str, Any]) -> Gallery:
    """Return the Gallery described by an ARM body."""
    return Gallery(
        ResourceId.parse(body.get("id"), "gallery.id"),
        _region(body.get("location")),
        str(_props(body).get("provisioningState") or "Succeeded"),
        dict(body),
    )


def parse_image_definition(body: Mapping[str, Any]) -> ImageDefinition:
    """Return the ImageDefinition described by an ARM body."""
    props = _props(body)
    ident = props.get("identifier") or {}
    return ImageDefinition(
        id=ResourceId.parse(body.get("id"), "galleryImage.id"),
        location=_region(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        os_type=str(props.get("osType") or ""),
        os_state=str(props.get("osState") or ""),
        hyper_v_generation=props.get("hyperVGeneration"),
        identifier=(
            str(ident.get("publisher", "")),
            str(ident.get("offer", "")),
            str(ident.get("sku", "")),
        ),
        properties=dict(props),
        body=dict(body),
    )


def parse_image_version(body: Mapping[str, Any]) -> ImageVersion:
    """Return the ImageVersion described by an ARM body (replication only when expanded)."""
    props = _props(body)
    profile = props.get("publishingProfile") or {}
    targets = tuple(
        TargetRegion(
            _region(t.get("name")),
            t.get("regionalReplicaCount"),
            t.get("storageAccountType"),
            dict(t),
        )
        for t in profile.get("targetRegions") or ()
    )
    summary = (props.get("replicationStatus") or {}).get("summary") or ()
    replication = {
        _region(s.get("region")): RegionReplication(
            str(s.get("state") or "Unknown"), s.get("progress"), s.get("details")
        )
        for s in summary
        if s.get("region")
    }
    source = ((props.get("storageProfile") or {}).get("source") or {}).get("id")
    return ImageVersion(
        id=ResourceId.parse(body.get("id"), "galleryImageVersion.id"),
        location=_region(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        target_regions=targets,
        replication=replication,
        source_id=source,
        body=dict(body),
    )


def definition_body(source: ImageDefinition, location: str) -> dict[str, Any]:
    """Return the PUT body of a copy of `source` homed in `location` (same identity and OS)."""
    keep = (
        "osType",
        "osState",
        "hyperVGeneration",
        "identifier",
        "features",
        "architecture",
        "recommended",
        "purchasePlan",
        "disallowed",
        "description",
        "eula",
        "privacyStatementUri",
        "releaseNoteUri",
    )
    props = {k: source.properties[k] for k in keep if source.properties.get(k) is not None}
    return {"location": location, "properties": props}


def get_gallery(clients: AzureClients, gallery: ResourceId) -> Gallery | None:
    """Return the gallery, or None when it does not exist."""
    ops = clients.compute(gallery.subscription).galleries
    body = missing_is_none(lambda: as_json(ops.get(rg(gallery), gallery.name)))
    return parse_gallery(body) if body else None


def create_gallery(clients: AzureClients, gallery: ResourceId, location: str) -> Gallery:
    """Create (or confirm) the gallery in `location`; return it once provisioned.

    Every job of a subscription shares its DR gallery: concurrent first jobs of a worker PUT
    it once and share the result (`clients.creations`).
    """
    ops = clients.compute(gallery.subscription).galleries
    body = {"location": location, "properties": {"description": "Lifeboat DR copies"}}
    from azure.mgmt.compute.models import Gallery as GalleryModel

    def put() -> Gallery:
        poller = ops.begin_create_or_update(rg(gallery), gallery.name, GalleryModel(body))
        return parse_gallery(as_json(poller.result()))

    def settled(found: Gallery) -> bool:
        return found.provisioning_state.lower() == "succeeded"

    return clients.creations.run(f"gallery:{gallery}", put, settled)


def get_image_definition(
    clients: AzureClients, image: ResourceId, *, retries: int | None = None
) -> ImageDefinition | None:
    """Return the gallery image definition, or None when it does not exist.

    `retries` overrides the SDK's retry count (0 for a quick probe).
    """
    ops = clients.compute(image.subscription).gallery_images
    g, i = image.names[0], image.names[1]
    body = missing_is_none(lambda: as_json(ops.get(rg(image), g, i, **_retries(retries))))
    return parse_image_definition(body) if body else None


def create_image_definition(
    clients: AzureClients, image: ResourceId, body: Mapping[str, Any], *, wait: bool = True
) -> ImageDefinition:
    """Create (or confirm) the image definition; return it once provisioned.

    `wait=False` returns the definition as the PUT answered (usually provisioningState
    Creating), without polling it to completion, for callers whose next read verifies it.
    """
    ops = clients.compute(image.subscription).gallery_images
    from azure.mgmt.compute.models import GalleryImage

    g, i = image.names[0], image.names[1]
    if not wait:
        started = ops.begin_create_or_update(
            rg(image), g, i, GalleryImage(dict(body)), polling=False
        )
        return parse_image_definition(as_json(started.result()))
    poller = ops.begin_create_or_update(rg(image), g, i, GalleryImage(dict(body)))
    return parse_image_definition(as_json(poller.result()))


def get_image_version(
    clients: AzureClients, version: ResourceId, *, retries: int | None = None
) -> ImageVersion | None:
    """Return the version with its replication status, or None when it does not exist.

    `retries` overrides the SDK's retry count (0 for a quick probe).
    """
    ops = clients.compute(version.subscription).gallery_image_versions
    g, i, v = version.names
    options = _retries(retries)

    def read() -> dict[str, Any]:
        return as_json(ops.get(rg(version), g, i, v, expand="ReplicationStatus", **options))

    body = missing_is_none(read)
    return parse_image_version(body) if body else None


def begin_set_target_regions(
    clients: AzureClients, version: ResourceId, regions: Sequence[TargetRegion]
) -> None:
    """PATCH the version's complete target region list; replication then runs in Azure.

    Does not wait: replication takes minutes to hours and is read back with get_image_version.
    """
    ops = clients.compute(version.subscription).gallery_image_versions
    g, i, v = version.names
    patch = {"properties": {"publishingProfile": {"targetRegions": [r.as_body() for r in regions]}}}
    from azure.mgmt.compute.models import GalleryImageVersionUpdate

    ops.begin_update(rg(version), g, i, v, GalleryImageVersionUpdate(patch), polling=False)


def begin_copy_image_version(
    clients: AzureClients,
    version: ResourceId,
    location: str,
    source_version: ResourceId,
    regions: Sequence[TargetRegion],
) -> None:
    """PUT a version made from `source_version` (another version, or a managed image).

    Does not wait: creation and replication take minutes to hours (read with get_image_version).
    """
    ops = clients.compute(version.subscription).gallery_image_versions
    g, i, v = version.names
    body = {
        "location": location,
        "properties": {
            "publishingProfile": {"targetRegions": [r.as_body() for r in regions]},
            "storageProfile": {"source": {"id": str(source_version)}},
        },
    }
    from azure.mgmt.compute.models import GalleryImageVersion

    ops.begin_create_or_update(rg(version), g, i, v, GalleryImageVersion(body), polling=False)


def delete_gallery_item(clients: AzureClients, item: ResourceId) -> None:
    """Delete an image version or image definition and wait; already gone is success."""
    compute = clients.compute(item.subscription)
    if len(item.names) == 3:
        g, i, v = item.names
        ops = compute.gallery_image_versions
        missing_is_none(lambda: ops.begin_delete(rg(item), g, i, v).result())
        return
    images = compute.gallery_images
    missing_is_none(lambda: images.begin_delete(rg(item), item.names[0], item.names[1]).result())


def list_zonal_regions(clients: AzureClients, subscription: str) -> frozenset[str]:
    """Return the regions (programmatic names) that have availability zones."""
    ops = clients.subscriptions().subscriptions
    return frozenset(
        normalize_region(loc.name, "location")
        for loc in ops.list_locations(subscription)
        if loc.name and getattr(loc, "availability_zone_mappings", None)
    )
