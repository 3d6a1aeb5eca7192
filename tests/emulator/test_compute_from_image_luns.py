"""Disks FromImage of a gallery version's data LUN (galleryImageReference.lun), via the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from tests.emulator.test_galleries_api import create_version, gallery, rg_id
from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator


def _version_of_an_image(env: LifeboatEnv) -> str:
    """A version published from a managed image with an OS disk and data LUNs 0 and 5."""
    gallery(env)
    compute = f"{rg_id(env)}/providers/Microsoft.Compute"
    image_id = f"{compute}/images/golden"
    snaps = {name: f"{compute}/snapshots/{name}" for name in ("os", "d0", "d5")}
    env.arm.seed({"resources": [
        *({"id": rid, "location": "eastus", "properties": {"diskSizeGB": size}}
          for rid, size in zip(snaps.values(), (30, 64, 128), strict=True)),
        {"id": image_id, "location": "eastus", "properties": {"storageProfile": {
            "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30,
                       "snapshot": {"id": snaps["os"]}},
            "dataDisks": [
                {"lun": 0, "diskSizeGB": 64, "snapshot": {"id": snaps["d0"]}},
                {"lun": 5, "diskSizeGB": 128, "snapshot": {"id": snaps["d5"]}},
            ]}}},
    ]})  # fmt: skip
    body = {"location": "eastus", "properties": {"storageProfile": {"source": {"id": image_id}}}}
    return str(create_version(env, body).id)


def _disk_from(env: LifeboatEnv, name: str, version: str, lun: int | None) -> Any:
    reference: dict[str, Any] = {"id": version}
    if lun is not None:
        reference["lun"] = lun
    body = {
        "location": "eastus",
        "properties": {
            "creationData": {"createOption": "FromImage", "galleryImageReference": reference}
        },
    }
    disks = env.clients.compute(env.subscription).disks
    return disks.begin_create_or_update("rg", name, body).result()


def test_a_disk_from_a_data_lun_gets_that_disks_size_and_content(lifeboat_env: LifeboatEnv) -> None:
    version = _version_of_an_image(lifeboat_env)

    disks = {lun: _disk_from(lifeboat_env, f"d{lun}", version, lun) for lun in (None, 0, 5)}

    assert {lun: d.disk_size_gb for lun, d in disks.items()} == {None: 30, 0: 64, 5: 128}
    meta = lifeboat_env.arm.state.meta
    lineage = {lun: meta(d.id)["content_id"] for lun, d in disks.items()}
    compute = f"{rg_id(lifeboat_env)}/providers/Microsoft.Compute"
    for lun, snap in ((0, "d0"), (5, "d5")):
        assert lineage[lun] == meta(f"{compute}/snapshots/{snap}")["content_id"]
    assert len(set(lineage.values())) == 3


def test_a_lun_the_image_does_not_have_is_invalid_parameter(lifeboat_env: LifeboatEnv) -> None:
    version = _version_of_an_image(lifeboat_env)
    with pytest.raises(HttpResponseError) as err:
        _disk_from(lifeboat_env, "d3", version, 3)
    assert err.value.status_code == 400
    assert err.value.error is not None and err.value.error.code == "InvalidParameter"
