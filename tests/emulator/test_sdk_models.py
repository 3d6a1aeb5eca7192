"""Every kind of emulator response fits the SDK's own models: no key the model does not know.

The compute, Image Builder and subscription SDKs use hybrid models, which keep unknown keys
silently; this walks each deserialized object against its model's known REST fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import Disk
from azure.mgmt.imagebuilder import ImageBuilderClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryResponse

from emulator.providers import aib_runs
from emulator.server import ArmEmulator
from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator

DEMO = Path(__file__).resolve().parents[2] / "emulator" / "estates" / "demo.json"
SUB = "6b1f3c2e-8d4a-4f5b-9c7e-2a1d0e9f8b7c"
APP, IMAGES = "lifeboat-demo-app", "lifeboat-demo-images"
GALLERY, DEFINITION = "lifeboat_images", "ubuntu-web"
TEMPLATE = "aib-ubuntu-web-managed"


def unknown_keys(obj: Any, where: str = "$") -> list[str]:
    """Return the keys of `obj` (recursively) that its hybrid model does not declare."""
    fields = getattr(type(obj), "_attr_to_rest_field", None)
    if fields is not None:
        known = {field._rest_name for field in fields.values()}
        out = [f"{where}.{key} ({type(obj).__name__})" for key in obj if key not in known]
        for attr, field in fields.items():
            out += unknown_keys(getattr(obj, attr), f"{where}.{field._rest_name}")
        return out
    if isinstance(obj, list):
        return [gap for i, item in enumerate(obj) for gap in unknown_keys(item, f"{where}[{i}]")]
    return []


@dataclass(frozen=True)
class Sdk:
    """The app's real clients for the demo estate's subscription, and the emulator."""

    arm: ArmEmulator
    compute: ComputeManagementClient
    builder: ImageBuilderClient
    env: LifeboatEnv


def _incremental(sdk: Sdk) -> Any:
    disk = sdk.compute.disks.get(APP, "web-01-osdisk")
    body = {
        "location": disk.location,
        "properties": {
            "incremental": True,
            "creationData": {"createOption": "Copy", "sourceResourceId": disk.id},
        },
    }
    return sdk.compute.snapshots.begin_create_or_update(APP, "snap", body).result()


def _copy_start(sdk: Sdk) -> Any:
    source = _incremental(sdk)
    body = {
        "location": "westus",
        "properties": {
            "incremental": True,
            "creationData": {"createOption": "CopyStart", "sourceResourceId": source.id},
        },
    }
    return sdk.compute.snapshots.begin_create_or_update(APP, "snap-dr", body).result()


def _copy_done(sdk: Sdk) -> Any:
    _copy_start(sdk)
    sdk.arm.clock.advance(3600)
    return sdk.compute.snapshots.get(APP, "snap-dr")


def _grant(sdk: Sdk) -> Any:
    _incremental(sdk)
    access = {"access": "Read", "durationInSeconds": 600}
    return sdk.compute.snapshots.begin_grant_access(APP, "snap", access).result()


def _build(sdk: Sdk, seconds: float) -> Any:
    sdk.builder.virtual_machine_image_templates.begin_run(IMAGES, TEMPLATE, polling=False)
    sdk.arm.clock.advance(seconds)
    return sdk.builder.virtual_machine_image_templates.get(IMAGES, TEMPLATE)


def _run_outputs(sdk: Sdk) -> Any:
    _build(sdk, aib_runs.total_seconds() + 60)
    return list(sdk.builder.virtual_machine_image_templates.list_run_outputs(IMAGES, TEMPLATE))


def _collection(sdk: Sdk) -> Any:
    vm = sdk.compute.virtual_machines.get(APP, "web-01")
    body = {"location": vm.location, "properties": {"source": {"id": vm.id}}}
    return sdk.compute.restore_point_collections.create_or_update(APP, "rpc", body)


def _point(sdk: Sdk) -> Any:
    _collection(sdk)
    return sdk.compute.restore_points.begin_create(APP, "rpc", "rp1", {}).result()


def _point_view(sdk: Sdk) -> Any:
    _point(sdk)
    return sdk.compute.restore_points.get(APP, "rpc", "rp1", expand="instanceView")


def _collection_view(sdk: Sdk) -> Any:
    _point(sdk)
    return sdk.compute.restore_point_collections.get(APP, "rpc", expand="restorePoints")


def _version_update(sdk: Sdk) -> Any:
    regions = [
        {"name": "eastus", "storageAccountType": "Standard_ZRS"},
        {"name": "westus", "storageAccountType": "Standard_LRS"},
    ]
    update = {"publishingProfile": {"targetRegions": regions}}
    return sdk.compute.gallery_image_versions.begin_update(
        IMAGES, GALLERY, DEFINITION, "1.0.0", {"properties": update}
    ).result()


def _version_replicating(sdk: Sdk) -> Any:
    _version_update(sdk)
    return sdk.compute.gallery_image_versions.get(
        IMAGES, GALLERY, DEFINITION, "1.0.0", expand="ReplicationStatus"
    )


CASES: dict[str, Callable[[Sdk], Any]] = {
    "vm list_all": lambda s: list(s.compute.virtual_machines.list_all()),
    "vm list_all statusOnly": lambda s: list(
        s.compute.virtual_machines.list_all(status_only="true")
    ),
    "vm get instanceView": lambda s: s.compute.virtual_machines.get(
        APP, "web-01", expand="instanceView"
    ),
    "vm instance_view": lambda s: s.compute.virtual_machines.instance_view(APP, "web-02"),
    "disks list": lambda s: list(s.compute.disks.list()),
    "snapshot incremental": _incremental,
    "snapshot CopyStart": _copy_start,
    "snapshot CopyStart done": _copy_done,
    "grant access": _grant,
    "aib list": lambda s: list(s.builder.virtual_machine_image_templates.list()),
    "aib get running": lambda s: _build(s, 600),
    "aib get done": lambda s: _build(s, aib_runs.total_seconds() + 60),
    "aib run outputs": _run_outputs,
    "galleries list": lambda s: list(s.compute.galleries.list()),
    "gallery images": lambda s: list(s.compute.gallery_images.list_by_gallery(IMAGES, GALLERY)),
    "image versions": lambda s: list(
        s.compute.gallery_image_versions.list_by_gallery_image(IMAGES, GALLERY, DEFINITION)
    ),
    "image version replication": _version_replicating,
    "image version update": _version_update,
    "restore point collection": _collection,
    "restore point": _point,
    "restore point instanceView": _point_view,
    "collection restorePoints": _collection_view,
    "managed images": lambda s: (_run_outputs(s), list(s.compute.images.list()))[1],
    "resource skus": lambda s: list(s.compute.resource_skus.list(filter="location eq 'westus'")),
    "locations": lambda s: list(s.env.clients.subscriptions().subscriptions.list_locations(SUB)),
}


@pytest.fixture
def sdk(lifeboat_env: LifeboatEnv) -> Sdk:
    lifeboat_env.arm.seed(DEMO)
    clients = lifeboat_env.clients
    return Sdk(lifeboat_env.arm, clients.compute(SUB), clients.image_builder(SUB), lifeboat_env)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_key_of_the_response_is_known_to_the_sdk_model(sdk: Sdk, case: str) -> None:
    result = CASES[case](sdk)
    assert result, f"{case}: nothing came back"
    assert unknown_keys(result) == []


def test_resource_graph_answers_only_with_fields_of_query_response(sdk: Sdk) -> None:
    raw: list[Any] = []
    sdk.env.clients.resource_graph().resources(
        QueryRequest(subscriptions=[SUB], query="Resources | project id, type"),
        raw_response_hook=lambda response: raw.append(response.http_response.json()),
    )
    known = {spec["key"] for spec in QueryResponse._attribute_map.values()}
    assert raw and set(raw[0]) <= known
    assert raw[0]["data"] and set(raw[0]["data"][0]) == {"id", "type"}


def test_the_model_check_finds_a_key_the_model_does_not_declare() -> None:
    disk = Disk({"location": "eastus", "properties": {"diskSizeGB": 4, "bogus": 1}, "extra": 2})
    assert unknown_keys(disk) == ["$.extra (Disk)", "$.properties.bogus (DiskProperties)"]
