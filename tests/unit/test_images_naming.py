"""Deterministic DR names within Azure's rules, and parsing of recorded Azure bodies."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.arm_id import ResourceId
from shared.azure import disks, galleries
from shared.azure.image_builds import parse_run_output
from shared.config import Settings
from shared.engine import names as naming
from shared.images.model import version_id_of
from tests.plugins.payloads import load_payload

SUB = "00000000-0000-0000-0000-000000000001"
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$")


def image_id(name: str) -> ResourceId:
    return ResourceId(SUB, "rg", "Microsoft.Compute", ("images",), (name,))


@given(
    st.text(
        alphabet=st.characters(codec="ascii", categories=("L", "N", "P")), min_size=1, max_size=120
    ).filter(lambda s: "/" not in s)
)
def test_dr_image_and_snapshot_names_always_fit_azure_name_rules(name: str) -> None:
    settings = Settings()
    source = image_id(name)
    for rid in (
        naming.dr_image_id(settings, source, "westus"),
        naming.dr_snapshot_id(settings, source, "lun15", "westus"),
        naming.staging_snapshot_id(settings, source, "os", "westus"),
    ):
        assert NAME_RULE.match(rid.name), rid.name


def test_names_are_deterministic_and_distinct_per_source_and_disk() -> None:
    settings = Settings()
    a, b = image_id("web"), image_id("WEB2")
    assert naming.dr_image_id(settings, a, "westus") == naming.dr_image_id(
        settings, image_id("web"), "westus"
    )
    assert naming.dr_image_id(settings, a, "westus") != naming.dr_image_id(settings, b, "westus")
    names = {
        naming.dr_snapshot_id(settings, a, "os", "westus"),
        naming.dr_snapshot_id(settings, a, "lun0", "westus"),
        naming.staging_snapshot_id(settings, a, "os", "westus"),
    }
    assert len(names) == 3
    assert all(n.resource_group == settings.dr_resource_group for n in names)


def test_same_image_in_two_resource_groups_gets_two_dr_names() -> None:
    settings = Settings()
    other = ResourceId(SUB, "rg2", "Microsoft.Compute", ("images",), ("web",))
    assert naming.dr_image_id(settings, image_id("web"), "westus") != naming.dr_image_id(
        settings, other, "westus"
    )


def test_dr_gallery_copy_keeps_definition_and_version_names() -> None:
    settings = Settings(dr_gallery_name="dr_g", dr_resource_group="dr-rg")
    source = version_id_of(
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/"
        "ubuntu/versions/1.0.7"
    )
    assert str(naming.dr_version_id(settings, source, "westus")) == (
        f"/subscriptions/{SUB}/resourceGroups/dr-rg/providers/Microsoft.Compute/galleries/dr_g/"
        "images/ubuntu/versions/1.0.7"
    )


def test_dr_blob_name_ignores_sas_and_keeps_the_file_name() -> None:
    url = "https://acct.blob.core.windows.net/c/dir/web%20image.vhd"
    assert naming.dr_blob_name(url + "?sv=1&sig=abc") == naming.dr_blob_name(url)
    assert naming.dr_blob_name(url).endswith("/web-image.vhd")
    assert naming.dr_blob_name(url) != naming.dr_blob_name(url.replace("/c/", "/d/"))


def test_recorded_gallery_version_update_parses_regions_by_programmatic_name() -> None:
    body = load_payload("gallery_rest_example_GalleryImageVersion_Update_2023-07-03")["responses"][
        "200"
    ]["body"]
    body["id"] = (
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"
    )
    body["properties"]["replicationStatus"] = {
        "aggregatedState": "InProgress",
        "summary": [{"region": "East US", "state": "Replicating", "progress": 40}],
    }
    version = galleries.parse_image_version(body)
    assert [t.name for t in version.target_regions] == ["westus", "eastus"]
    assert version.targets("eastus")
    assert version.replication["eastus"].state == "Replicating"
    assert version.target_regions[0].as_body()["encryption"]["osDiskImage"]
    assert version.provisioning_state == "Updating"


def test_recorded_copystart_snapshot_parses_as_not_yet_copied() -> None:
    body = load_payload(
        "disks_rest_example_Snapshot_Create_FromAnExistingSnapshotInDifferentRegion_2024-03-02"
    )["responses"]["202"]["body"]
    body["id"] = body["id"].replace("{subscription-id}", SUB)
    snap = disks.parse_snapshot(body)
    assert snap.location == "westus"
    assert not snap.copied
    snap = disks.parse_snapshot(
        {
            **body,
            "properties": {
                **body["properties"],
                "provisioningState": "Succeeded",
                "completionPercent": 0.0,
            },
        }
    )
    assert not snap.copied


def test_recorded_run_outputs_parse_for_image_and_gallery_targets() -> None:
    items = load_payload("aib_rest_example_ListRunOutputs_2024-02-01")["responses"]["200"]["body"][
        "value"
    ]
    outputs = [parse_run_output(i) for i in items]
    assert [o.name for o in outputs] == ["myManagedImageOutput", "mySharedImageOutput"]
    assert outputs[0].artifact_id is not None and outputs[0].artifact_id.endswith(
        "output_managed_image"
    )
    assert outputs[1].provisioning_state == "Succeeded"
