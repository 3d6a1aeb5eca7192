"""Image Builder distribution: the REAL artifacts a run creates (image version, image, VHD blob)."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.store import type_of
from emulator.providers import aib_runs
from emulator.providers import gallery_versions as versions
from emulator.providers.gallery_image_versions import VERSION_TYPE, ImageVersions
from emulator.providers.locations import is_known, programmatic

if TYPE_CHECKING:
    from emulator.core import Core

logger = logging.getLogger(__name__)
Body = dict[str, Any]
IMAGE_TYPE = "Microsoft.Compute/images"
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
VHD_CONTAINER = "vhds"
VHD_BYTES = 1024 * 1024  # a tiny fixed VHD: 1 MiB of data + a 512-byte footer


class DistributeError(Exception):
    """One distribute target failed; the message goes into lastRunStatus.message."""


def os_type(core: Core, template: Body) -> str:
    """Return Windows or Linux for the template's source image."""
    source = template["properties"].get("source") or {}
    if source.get("type") == "PlatformImage":
        return "Windows" if "windows" in str(source.get("publisher", "")).lower() else "Linux"
    ref = source.get("imageId") or source.get("imageVersionId") or ""
    found = core.store.get(ref.split("/versions/")[0]) if ref else None
    props = (found or {}).get("properties") or {}
    return str(props.get("osType") or props.get("storageProfile", {}).get("osDisk", {}).get(
        "osType") or "Linux")  # fmt: skip


def content_id(template: Body, at: datetime) -> str:
    """Return the lineage id of what one run built (all its artifacts carry the same content)."""
    return f"aib:{template['id'].lower()}@{at.isoformat()}"


def _disk_size(template: Body) -> int:
    return int((template["properties"].get("vmProfile") or {}).get("osDiskSizeGB") or 30)


def _version_name(core: Core, image_id: str, target: Body, at: datetime) -> str:
    if "/versions/" in image_id.lower():
        return image_id.rstrip("/").rsplit("/", 1)[-1]
    scheme = (target.get("versioning") or {}).get("scheme")
    if scheme == "Latest":
        major = int((target.get("versioning") or {}).get("major", 0) or 0)
        names = [v["name"] for v in core.store.list(VERSION_TYPE, scope=image_id)]
        mine = [tuple(int(p) for p in n.split(".")) for n in names if n.split(".")[0] == str(major)]
        last = max(mine, default=(major, 0, -1))
        return f"{last[0]}.{last[1]}.{last[2] + 1}"
    # AIB's default: 0.<yy><day of year>.<seconds of day>, e.g. 0.24105.52755.
    seconds = at.hour * 3600 + at.minute * 60 + at.second
    return f"0.{at:%y}{at.timetuple().tm_yday:03d}.{seconds}"


def _target_regions(target: Body, home: str) -> list[Body]:
    if target.get("targetRegions"):
        return [
            {"name": t["name"], "regionalReplicaCount": t.get("replicaCount") or 1,
             "storageAccountType": t.get("storageAccountType") or "Standard_LRS"}
            for t in target["targetRegions"]
        ]  # fmt: skip
    names = target.get("replicationRegions") or [home]
    kind = target.get("storageAccountType") or "Standard_LRS"
    return [{"name": n, "storageAccountType": kind} for n in names]


def shared_image(core: Core, template: Body, target: Body, at: datetime) -> str:
    """Create the gallery image version; return its id; raise DistributeError on failure."""
    image_id = target["galleryImageId"].split("/versions/")[0].split("/imageVersions/")[0]
    image = core.store.get(image_id)
    if image is None:
        raise DistributeError(f"The gallery image definition '{image_id}' was not found.")
    home = programmatic(image["location"])
    if core.faults.is_region_down(home):
        raise DistributeError(f"The gallery region '{home}' is unavailable.")
    rid = f"{image_id}/versions/{_version_name(core, target['galleryImageId'], target, at)}"
    if core.store.exists(rid):
        raise DistributeError(f"The gallery image version '{rid}' already exists.")
    body = _version_body(core, template, target, rid=rid, home=home, at=at)
    ImageVersions(core).save(rid, body, None, start=at)
    meta = core.store.meta(rid)
    meta["content_id"] = content_id(template, at)
    # In Azure the run ends only once the version is replicated: fit replication into Distributing.
    window = dict(aib_runs.PHASES)["Distributing"] - 1
    for state in meta.get("replication", {}).values():
        state["needed"] = min(state["needed"], window)
    return rid


def _version_body(
    core: Core, template: Body, target: Body, *, rid: str, home: str, at: datetime
) -> Body:
    profile = {"targetRegions": _target_regions(target, home),
               "excludeFromLatest": bool(target.get("excludeFromLatest", False))}  # fmt: skip
    if target.get("replicationMode"):
        profile["replicationMode"] = target["replicationMode"]
    try:
        publishing = versions.publishing_profile(profile, home, core.clock.iso(at))
    except errors.ArmError as exc:
        raise DistributeError(exc.message) from None
    staging = template["properties"]["exactStagingResourceGroup"]
    return {
        "id": rid, "type": VERSION_TYPE, "location": home,
        "tags": dict(target.get("artifactTags") or {}),
        "properties": {
            "publishingProfile": publishing,
            "storageProfile": {
                "source": {"id": f"{staging}/providers/Microsoft.Compute/images/IntermediateImage"},
                "osDiskImage": {"sizeInGB": _disk_size(template), "hostCaching": "ReadWrite"},
                "dataDiskImages": [],
            },
            "safetyProfile": {"reportedForPolicyViolation": False,
                              "allowDeletionOfReplicatedLocations": False},
            "provisioningState": "Creating",
        },
    }  # fmt: skip


def managed_image(core: Core, template: Body, target: Body, at: datetime) -> str:
    """Create the managed image (provisioningState Creating); return its id."""
    image_id = target["imageId"]
    location = programmatic(target.get("location") or template["location"])
    if type_of(image_id).lower() != IMAGE_TYPE.lower() or not is_known(location):
        raise DistributeError(f"The managed image id '{image_id}' or location is invalid.")
    if core.faults.is_region_down(location):
        raise DistributeError(f"The region '{location}' of the managed image is unavailable.")
    if core.store.exists(image_id):
        raise DistributeError(f"The managed image '{image_id}' already exists.")
    os_disk = {
        "osType": os_type(core, template), "osState": "Generalized",
        "diskSizeGB": _disk_size(template), "caching": "ReadWrite",
        "storageAccountType": "Standard_LRS",
    }  # fmt: skip
    body = {
        "id": image_id, "type": IMAGE_TYPE, "location": location,
        "tags": dict(target.get("artifactTags") or {}),
        "properties": {
            "storageProfile": {"osDisk": os_disk, "dataDisks": [], "zoneResilient": False},
            "provisioningState": "Creating", "hyperVGeneration": "V1",
        },
    }  # fmt: skip
    core.store.put(core.types.normalize(body), {"content_id": content_id(template, at)})
    return str(image_id)


def vhd(core: Core, template: Body, target: Body, run_id: str, at: datetime) -> str:
    """Write a small fixed-VHD page blob (Azurite when attached); return its URL."""
    if target.get("uri"):
        return str(target["uri"])
    blob = f"{template['name']}-{target['runOutputName']}-{run_id[:8]}.vhd"
    azurite = core.azurite
    if azurite is None:
        _staging_account(core, template, "https://lbprimary.blob.core.windows.net")
        return f"https://lbprimary.blob.core.windows.net/{VHD_CONTAINER}/{blob}"
    from emulator.azurite import PRIMARY_ACCOUNT

    _staging_account(core, template, azurite.blob_url(PRIMARY_ACCOUNT))
    _upload_vhd(azurite.connection_string(PRIMARY_ACCOUNT), blob, content_id(template, at))
    return f"{azurite.blob_url(PRIMARY_ACCOUNT)}/{VHD_CONTAINER}/{blob}"


def _staging_account(core: Core, template: Body, endpoint: str) -> None:
    """AIB keeps a VHD in a storage account of the staging group: list it, as Azure does.

    Storage account names are global, so an `lbprimary` seeded elsewhere (an estate) is kept.
    """
    if any(
        a["id"].rsplit("/", 1)[-1].lower() == "lbprimary" for a in core.store.list(ACCOUNT_TYPE)
    ):
        return
    staging = template["properties"]["exactStagingResourceGroup"]
    body = {
        "id": f"{staging}/providers/{ACCOUNT_TYPE}/lbprimary", "type": ACCOUNT_TYPE,
        "location": template["location"], "kind": "StorageV2",
        "sku": {"name": "Standard_LRS", "tier": "Standard"}, "tags": {},
        "properties": {"provisioningState": "Succeeded",
                       "primaryEndpoints": {"blob": f"{endpoint}/"}},
    }  # fmt: skip
    core.store.put(core.types.normalize(body))


def _upload_vhd(connection_string: str, blob: str, content: str) -> None:
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    from emulator.providers.compute.access import content_header

    service = BlobServiceClient.from_connection_string(connection_string)
    container = service.get_container_client(VHD_CONTAINER)
    with contextlib.suppress(ResourceExistsError):  # already there: fine
        container.create_container()
    client = container.get_blob_client(blob)
    client.create_page_blob(VHD_BYTES + 512)
    # First page: the compute provider's lineage marker, so an Import of this VHD inherits it.
    client.upload_page(content_header(content), offset=0, length=512)
    footer = b"conectix".ljust(512, b"\0")  # the cookie that opens a VHD footer
    client.upload_page(footer, offset=VHD_BYTES, length=512)


def delete_vhd(core: Core, url: str) -> None:
    """Delete a VHD blob AIB kept in its staging account (template deleted); ignore absence."""
    azurite = core.azurite
    if azurite is None or not url.startswith(azurite.blob_url("lbprimary")):
        return
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(azurite.connection_string("lbprimary"))
    with contextlib.suppress(ResourceNotFoundError):  # already gone: fine
        service.get_blob_client(VHD_CONTAINER, url.rsplit("/", 1)[-1]).delete_blob()


def finish_artifacts(core: Core, outputs: list[Body]) -> None:
    """Mark managed images Succeeded at the end of the run (versions follow replication)."""
    for output in outputs:
        artifact = output.get("artifactId") or ""
        if type_of(artifact).lower() != IMAGE_TYPE.lower():
            continue
        body = core.store.get(artifact)
        if body is not None:
            body["properties"]["provisioningState"] = "Succeeded"
            core.store.put(body)
