"""The demo estate: its three image templates build real artifacts the app can use."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.providers import aib_runs
from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator

DEMO = Path(__file__).resolve().parents[2] / "emulator" / "estates" / "demo.json"
TEMPLATES = ("aib-ubuntu-web-sig", "aib-ubuntu-web-managed", "aib-ubuntu-web-vhd")
IMAGES_RG = "lifeboat-demo-images"


def test_every_demo_template_builds_its_artifact(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    sub = env.arm.seed(DEMO)[0].split("/")[2]
    aib = env.clients.image_builder(sub).virtual_machine_image_templates
    assert sorted(t.name for t in aib.list_by_resource_group(IMAGES_RG)) == sorted(TEMPLATES)
    for name in TEMPLATES:
        aib.begin_run(IMAGES_RG, name).result()
    env.arm.clock.advance(aib_runs.total_seconds())
    outputs = {}
    for name in TEMPLATES:
        assert aib.get(IMAGES_RG, name).last_run_status.run_state == "Succeeded"
        outputs.update({o.name: o for o in aib.list_run_outputs(IMAGES_RG, name)})
    compute = env.clients.compute(sub)
    version_id = outputs["ubuntu-web-sig"].artifact_id
    versions = compute.gallery_image_versions.list_by_gallery_image(
        IMAGES_RG, "lifeboat_images", "ubuntu-web"
    )
    assert version_id in {v.id for v in versions}
    assert compute.images.get(IMAGES_RG, "ubuntu-web-managed").provisioning_state == "Succeeded"
    assert outputs["ubuntu-web-vhd"].artifact_uri.endswith(".vhd")
    disk = {
        "location": "eastus",
        "properties": {
            "creationData": {
                "createOption": "FromImage",
                "galleryImageReference": {"id": version_id},
            }
        },
    }
    created = compute.disks.begin_create_or_update(IMAGES_RG, "from-aib", disk).result()
    assert created.disk_size_gb == 30
    account = next(i for i in env.arm.state.ids() if i.endswith("/storageAccounts/lbprimary"))
    imported = {
        "location": "eastus",
        "properties": {
            "diskSizeGB": 30,
            "creationData": {
                "createOption": "Import",
                "storageAccountId": account,
                "sourceUri": outputs["ubuntu-web-vhd"].artifact_uri,
            },
        },
    }
    vhd_disk = compute.disks.begin_create_or_update(IMAGES_RG, "from-vhd", imported).result()
    assert vhd_disk.provisioning_state == "Succeeded"
    # The VHD's first page names the build's content, so the imported disk inherits it.
    lineage = env.arm.state.meta(vhd_disk.id)["content_id"]
    assert lineage.startswith("aib:") and "aib-ubuntu-web-vhd" in lineage
