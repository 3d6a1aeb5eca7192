"""Helpers for the template DR tests (no tests here): templates in the emulator, DR blobs."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from shared.arm_id import ResourceId
from shared.bootstrap import Deps, bootstrap, get_deps
from shared.jobs.clock import ManualClock
from shared.templates.backup import template_id_of
from tests.event_samples import event_grid_event, load

PRIMARY = "eastus"
DR = "westus"  # Microsoft's pair of eastus
DR_RESOURCE_GROUP = "lifeboat-dr"  # Settings.dr_resource_group default
START = datetime(2030, 1, 1, tzinfo=UTC)


def subscription() -> str:
    """The first subscription lifeboat_env put in scope."""
    return get_deps().settings.subscriptions[0]


def template_id(name: str = "web", group: str = "app") -> ResourceId:
    """An image template id in the scoped subscription."""
    return template_id_of(
        f"/subscriptions/{subscription()}/resourceGroups/{group}"
        f"/providers/Microsoft.VirtualMachineImages/imageTemplates/{name}"
    )


def identity_id(name: str = "aib", group: str = "identities") -> str:
    """A user-assigned identity id in the scoped subscription."""
    return (
        f"/subscriptions/{subscription()}/resourceGroups/{group}"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )


def resource(group: str, provider_path: str) -> str:
    """`/subscriptions/<scoped>/resourceGroups/<group>/providers/<provider_path>`."""
    return f"/subscriptions/{subscription()}/resourceGroups/{group}/providers/{provider_path}"


def template_body(
    sku: str = "20_04-lts-gen2",
    location: str = PRIMARY,
    image: tuple[str, str] = ("Canonical", "0001-com-ubuntu-server-focal"),
) -> dict[str, Any]:
    """A PUT body with a platform source (`image` is publisher, offer) and a managed image
    output, as a user would send."""
    return {
        "location": location,
        "tags": {"team": "images"},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity_id(): {}}},
        "properties": {
            "buildTimeoutInMinutes": 80,
            "source": {
                "type": "PlatformImage",
                "publisher": image[0],
                "offer": image[1],
                "sku": sku,
                "version": "latest",
            },
            "customize": [{"type": "Shell", "name": "hello", "inline": ["echo hello"]}],
            "distribute": [
                {
                    "type": "ManagedImage",
                    "imageId": resource("app", "Microsoft.Compute/images/web"),
                    "location": location,
                    "runOutputName": "web-managed",
                }
            ],
        },
    }


def create_template(tid: ResourceId, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """PUT the template through the real SDK and wait for it; return its ARM JSON."""
    client = get_deps().clients.image_builder(tid.subscription).virtual_machine_image_templates
    poller = client.begin_create_or_update(
        tid.resource_group or "", tid.name, copy.deepcopy(body or template_body())
    )
    result: dict[str, Any] = poller.result().as_dict()
    return result


def update_tags(tid: ResourceId, tags: dict[str, str]) -> None:
    """PATCH the template's tags (one of the few in-place changes Image Builder allows)."""
    client = get_deps().clients.image_builder(tid.subscription).virtual_machine_image_templates
    client.begin_update(tid.resource_group or "", tid.name, {"tags": tags}).result()


def delete_template(tid: ResourceId) -> None:
    """DELETE the template and wait until it is gone."""
    client = get_deps().clients.image_builder(tid.subscription).virtual_machine_image_templates
    client.begin_delete(tid.resource_group or "", tid.name).result()


def deps(clock: ManualClock | None = None, **settings: Any) -> Deps:
    """The app's deps from the composition root, with a manual clock and setting overrides."""
    s = get_deps().settings.model_copy(update=settings)
    return bootstrap(settings=s, clients=get_deps().clients, clock=clock or ManualClock(START))


@dataclass(frozen=True)
class Blob:
    """A blob as listed: name, metadata, ETag."""

    name: str
    metadata: dict[str, str]
    etag: str


def dr_blobs() -> dict[str, Blob]:
    """Every blob in the DR account's templates container, by name ({} when none)."""
    service = get_deps().clients.blob_service("dr")
    container = service.get_container_client(get_deps().settings.templates_container)
    if not container.exists():
        return {}
    return {
        b.name: Blob(b.name, dict(b.metadata or {}), str(b.etag))
        for b in container.list_blobs(include=["metadata"])
    }


def read_blob(name: str) -> Any:
    """The parsed JSON of one blob in the templates container."""
    service = get_deps().clients.blob_service("dr")
    container = service.get_container_client(get_deps().settings.templates_container)
    return json.loads(container.download_blob(name).readall())


def overwrite_blob(name: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
    """Replace one blob of the templates container, e.g. with damaged content or metadata."""
    service = get_deps().clients.blob_service("dr")
    container = service.get_container_client(get_deps().settings.templates_container)
    container.upload_blob(name, data, overwrite=True, metadata=metadata or {})


def damage_pointer(blobs: dict[str, Blob]) -> None:
    """Overwrite the one pointer among `blobs` with metadata that cannot be parsed."""
    overwrite_blob(pointer(blobs).name, b"{", {"sourceid": "x", "capturedat": "yesterday"})


def versions(blobs: dict[str, Blob]) -> list[str]:
    """Names of the version blobs among `blobs`."""
    return sorted(n for n in blobs if "/versions/" in n)


def pointer(blobs: dict[str, Blob]) -> Blob:
    """The one pointer blob among `blobs`."""
    (found,) = [b for n, b in blobs.items() if n.endswith("/latest.json")]
    return found


def template_event(tid: ResourceId, action: str, event_id: str = "evt-1") -> func.EventGridEvent:
    """The published Resource{Write,Delete}Success sample, retargeted at template `tid`."""
    kind = {"write": "ResourceWriteSuccess", "delete": "ResourceDeleteSuccess"}[action]
    raw: dict[str, Any] = copy.deepcopy(load(f"eventgrid_resources_{kind}_eventgridschema")[0])
    operation = f"Microsoft.VirtualMachineImages/imageTemplates/{action}"
    raw.update(id=event_id, subject=str(tid), topic=f"/subscriptions/{tid.subscription}")
    raw["data"].update(
        operationName=operation,
        resourceUri=str(tid),
        resourceProvider="Microsoft.VirtualMachineImages",
        subscriptionId=tid.subscription,
    )
    raw["data"]["authorization"].update(scope=str(tid), action=operation)
    return event_grid_event(raw)


GALLERY = "Microsoft.Compute/galleries"


def seed_gallery(arm: Any, dr_copy: bool, generation: str = "V2") -> str:
    """A gallery image version in the primary region; optionally its copy in the DR gallery."""
    items = []
    homes = [("img", "prod", PRIMARY)] + (
        [(DR_RESOURCE_GROUP, "lifeboat_dr", DR)] if dr_copy else []
    )
    for group, gallery, region in homes:
        image = resource(group, f"{GALLERY}/{gallery}/images/ubuntu")
        items += [
            {"id": resource(group, f"{GALLERY}/{gallery}"), "location": region},
            {
                "id": image,
                "location": region,
                "properties": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "hyperVGeneration": generation,
                    "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
                },
            },
            {
                "id": f"{image}/versions/1.0.0",
                "location": region,
                "properties": {"publishingProfile": {"targetRegions": [{"name": region}]}},
            },
        ]
    arm.seed({"resources": items})
    return resource("img", f"{GALLERY}/prod/images/ubuntu/versions/1.0.0")


def gallery_template(version_id: str) -> dict[str, Any]:
    body = template_body()
    body["properties"]["source"] = {"type": "SharedImageVersion", "imageVersionId": version_id}
    return body
