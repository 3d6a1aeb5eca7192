"""Managed images: the disks an image is made of, reading one, and building a copy of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure.arm_calls import as_json, missing_is_none, props_of, region_of, rg

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.Compute/images/read",
    "Microsoft.Compute/images/write",
)


@dataclass(frozen=True)
class ImageDisk:
    """One disk of a managed image: `lun` None for the OS disk; the source it was made from."""

    lun: int | None
    snapshot_id: str | None
    managed_disk_id: str | None
    blob_uri: str | None
    caching: str | None = None
    size_gb: int | None = None
    storage_account_type: str | None = None
    os_type: str | None = None
    os_state: str | None = None

    @property
    def label(self) -> str:
        """'os' or 'lunN', used in derived names."""
        return "os" if self.lun is None else f"lun{self.lun}"


@dataclass(frozen=True)
class ManagedImage:
    """A managed image and the disks it is made of."""

    id: ResourceId
    location: str
    provisioning_state: str
    hyper_v_generation: str | None
    os_disk: ImageDisk
    data_disks: tuple[ImageDisk, ...] = ()
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def disks(self) -> tuple[ImageDisk, ...]:
        """The OS disk, then the data disks in LUN order."""
        return (self.os_disk, *sorted(self.data_disks, key=lambda d: d.lun or 0))


def _retries(retries: int | None) -> dict[str, Any]:
    """SDK call options: `retry_total` when the caller sets the retry count (0: one attempt)."""
    return {} if retries is None else {"retry_total": retries}


def _image_disk(body: Mapping[str, Any], lun: int | None) -> ImageDisk:
    return ImageDisk(
        lun=lun,
        snapshot_id=(body.get("snapshot") or {}).get("id"),
        managed_disk_id=(body.get("managedDisk") or {}).get("id"),
        blob_uri=body.get("blobUri"),
        caching=body.get("caching"),
        size_gb=body.get("diskSizeGB"),
        storage_account_type=body.get("storageAccountType"),
        os_type=body.get("osType"),
        os_state=body.get("osState"),
    )


def parse_image(body: Mapping[str, Any]) -> ManagedImage:
    """Return the ManagedImage described by an ARM body."""
    props = props_of(body)
    profile = props.get("storageProfile") or {}
    return ManagedImage(
        id=ResourceId.parse(body.get("id"), "image.id"),
        location=region_of(body.get("location")),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        hyper_v_generation=props.get("hyperVGeneration"),
        os_disk=_image_disk(profile.get("osDisk") or {}, None),
        data_disks=tuple(
            _image_disk(d, int(d.get("lun", 0))) for d in profile.get("dataDisks") or ()
        ),
        body=dict(body),
    )


def image_body(
    source: ManagedImage,
    location: str,
    snapshots: Mapping[str, ResourceId],
    zone_resilient: bool,
) -> dict[str, Any]:
    """Return the PUT body of a copy of `source` built from `snapshots` (label → snapshot id)."""

    def disk(d: ImageDisk) -> dict[str, Any]:
        out: dict[str, Any] = {"snapshot": {"id": str(snapshots[d.label])}}
        for key, value in (
            ("caching", d.caching),
            ("diskSizeGB", d.size_gb),
            ("osType", d.os_type),
            ("osState", d.os_state),
        ):
            if value is not None:
                out[key] = value
        if d.lun is not None:
            out["lun"] = d.lun
        return out

    props: dict[str, Any] = {
        "storageProfile": {
            "osDisk": disk(source.os_disk),
            "dataDisks": [disk(d) for d in source.disks[1:]],
            "zoneResilient": zone_resilient,
        }
    }
    if source.hyper_v_generation:
        props["hyperVGeneration"] = source.hyper_v_generation
    return {"location": location, "properties": props}


def get_image(
    clients: AzureClients, image: ResourceId, *, retries: int | None = None
) -> ManagedImage | None:
    """Return the managed image, or None when it does not exist.

    `retries` overrides the SDK's retry count (0 for a quick probe).
    """
    ops = clients.compute(image.subscription).images
    options = _retries(retries)
    body = missing_is_none(lambda: as_json(ops.get(rg(image), image.name, **options)))
    return parse_image(body) if body else None


def create_image(
    clients: AzureClients, image: ResourceId, body: Mapping[str, Any], *, wait: bool = True
) -> ManagedImage:
    """Create (or confirm) a managed image from `body` (see image_body); return it.

    `wait=False` returns the image as the PUT answered, without polling it to completion.
    """
    ops = clients.compute(image.subscription).images
    from azure.mgmt.compute.models import Image

    if not wait:
        started = ops.begin_create_or_update(
            rg(image), image.name, Image(dict(body)), polling=False
        )
        return parse_image(as_json(started.result()))

    poller = ops.begin_create_or_update(rg(image), image.name, Image(dict(body)))
    return parse_image(as_json(poller.result()))
