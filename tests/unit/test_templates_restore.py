"""Pure restore planning: region-bound rewrites, findings, DR names, idempotency decision."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.errors import InvalidInput
from shared.templates.backup import deployable, template_id_of
from shared.templates.errors import RestoreConflict
from shared.templates.restore import (
    HASH_TAG,
    SOURCE_TAG,
    RestoreSpec,
    RestoreTarget,
    SourceFacts,
    already_restored,
    prepare_restore,
)
from tests.plugins.payloads import load_payload
from tests.unit.test_templates_sdk_body import sdk_body_errors

SUB = "00000000-0000-0000-0000-000000000000"
RG = f"/subscriptions/{SUB}/resourceGroups"
TID = template_id_of(f"{RG}/app/providers/Microsoft.VirtualMachineImages/imageTemplates/web")
SUBNET = f"{RG}/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/build"
ACI_SUBNET = f"{RG}/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci"
DR_SUBNET = f"{RG}/net-dr/providers/Microsoft.Network/virtualNetworks/vnet-dr/subnets/build"
IDENTITY = f"{RG}/id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
DR_IDENTITY = f"{RG}/id-dr/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib-dr"
GALLERY_IMAGE = f"{RG}/img/providers/Microsoft.Compute/galleries/prod/images/ubuntu"
TARGET = RestoreTarget(
    dr_region="westus",
    resource_group="lifeboat-dr",
    gallery_name="lifeboat_dr",
    vhd_container_url="https://lbdr.blob.core.windows.net/vhd-copies",
    subnet_map={SUBNET.upper(): DR_SUBNET},
    identity_map={IDENTITY: DR_IDENTITY},
    replica_count=2,
    storage_account_type="Standard_ZRS",
)


def template() -> dict[str, Any]:
    """A backed-up template with every region-bound field set."""
    body = deployable(load_payload("aib_recorded_get_imageTemplate_after_create"))
    body["location"] = "eastus"
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}}
    props = body["properties"]
    props["stagingResourceGroup"] = f"{RG}/aib-staging"
    props["vmProfile"] = {
        "vmSize": "Standard_D2s_v3",
        "userAssignedIdentities": [IDENTITY],
        "vnetConfig": {"subnetId": SUBNET, "containerInstanceSubnetId": ACI_SUBNET},
    }
    props["distribute"] = [
        props["distribute"][0],
        {
            "type": "SharedImage",
            "galleryImageId": GALLERY_IMAGE,
            "runOutputName": "sig",
            "targetRegions": [
                {"name": "eastus", "replicaCount": 1},
                {"name": "eastus2", "replicaCount": 1},
            ],
        },
        {
            "type": "VHD",
            "runOutputName": "vhd",
            "uri": "https://src.blob.core.windows.net/vhds/a/b.vhd",
        },
    ]
    return body


def plan(body: dict[str, Any] | None = None, facts: SourceFacts | None = None) -> RestoreSpec:
    return prepare_restore(TID, body or template(), TARGET, facts or SourceFacts())


def changed(p: RestoreSpec) -> dict[str, Any]:
    return {c.path: c.after for c in p.changes}


def test_location_moves_to_the_dr_region() -> None:
    p = plan()
    assert p.body["location"] == "westus"
    assert changed(p)["location"] == "westus"


def test_staging_group_is_removed_because_it_must_be_in_the_templates_region() -> None:
    p = plan()
    assert "stagingResourceGroup" not in p.body["properties"]
    assert "properties.stagingResourceGroup" in changed(p)


def test_mapped_subnet_is_rewritten_case_insensitively_and_unmapped_one_needs_attention() -> None:
    p = plan()
    vnet = p.body["properties"]["vmProfile"]["vnetConfig"]

    assert vnet["subnetId"] == DR_SUBNET
    assert vnet["containerInstanceSubnetId"] == ACI_SUBNET
    [item] = [a for a in p.attention if a.code == "subnet_unmapped"]
    assert item.path == "properties.vmProfile.vnetConfig.containerInstanceSubnetId"
    assert "LIFEBOAT_SUBNET_MAP" in item.message


def test_identities_of_template_and_build_vm_go_through_the_identity_map() -> None:
    p = plan()
    assert p.body["identity"]["userAssignedIdentities"] == {DR_IDENTITY: {}}
    assert p.body["properties"]["vmProfile"]["userAssignedIdentities"] == [DR_IDENTITY]
    assert not [a for a in p.attention if a.code == "identity_unmapped"]


def test_unmapped_identity_is_kept_and_flagged() -> None:
    body = template()
    other = IDENTITY.replace("/aib", "/other")
    body["identity"]["userAssignedIdentities"] = {other: {}}

    p = plan(body)

    assert p.body["identity"]["userAssignedIdentities"] == {other: {}}
    assert [a.path for a in p.attention if a.code == "identity_unmapped"] == [
        "identity.userAssignedIdentities"
    ]


def test_shared_image_output_targets_the_dr_gallery_and_replicates_in_the_dr_region() -> None:
    dist = plan().body["properties"]["distribute"][1]

    assert dist["galleryImageId"] == (
        f"{RG}/lifeboat-dr/providers/Microsoft.Compute/galleries/lifeboat_dr/images/ubuntu"
    )
    names = [t["name"] for t in dist["targetRegions"]]
    assert names == ["westus", "eastus2"]  # the failed primary is dropped
    assert dist["targetRegions"][0] == {
        "name": "westus",
        "replicaCount": 2,
        "storageAccountType": "Standard_ZRS",
    }


def test_deprecated_replication_regions_put_the_dr_region_first() -> None:
    sample = load_payload("aib_template_sharedImage_replicationRegions_quickstart")
    dist = sample["properties"]["distribute"][0]
    dist["galleryImageId"] = GALLERY_IMAGE
    dist["replicationRegions"] = ["eastus", "East US 2"]
    sample["location"] = "eastus"

    p = plan(deployable(sample))

    assert p.body["properties"]["distribute"][0]["replicationRegions"] == ["westus", "eastus2"]


def test_vhd_without_uri_stays_in_the_staging_account() -> None:
    body = deployable(load_payload("aib_template_vhd_quickstart") | {"location": "eastus"})
    p = plan(body)
    assert "uri" not in p.body["properties"]["distribute"][0]


def test_platform_image_source_needs_no_attention() -> None:
    p = plan()
    assert p.body["properties"]["source"]["type"] == "PlatformImage"
    assert not [a for a in p.attention if a.code.startswith("source")]


def _gallery_source(body: dict[str, Any]) -> dict[str, Any]:
    version = f"{GALLERY_IMAGE}/versions/1.0.0"
    body["properties"]["source"] = {"type": "SharedImageVersion", "imageVersionId": version}
    return body


def test_gallery_source_with_a_dr_copy_is_rewritten_to_the_copy() -> None:
    copy_id = (
        f"{RG}/lifeboat-dr/providers/Microsoft.Compute/galleries/lifeboat_dr/images/u/versions/1"
    )

    p = plan(_gallery_source(template()), SourceFacts(dr_copy_id=copy_id))

    assert p.body["properties"]["source"]["imageVersionId"] == copy_id
    assert not [a for a in p.attention if a.code.startswith("source")]


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (SourceFacts(in_dr_region=False), "source_not_in_dr_region"),
        (SourceFacts(in_dr_region=None), "source_unverified"),
    ],
)
def test_gallery_source_not_known_in_the_dr_region_needs_attention(
    facts: SourceFacts, code: str
) -> None:
    p = plan(_gallery_source(template()), facts)
    assert [a.path for a in p.attention if a.code == code] == ["properties.source.imageVersionId"]


def test_managed_image_source_in_the_primary_region_needs_attention() -> None:
    body = template()
    body["properties"]["source"] = {
        "type": "ManagedImage",
        "imageId": f"{RG}/x/providers/Microsoft.Compute/images/i",
    }

    p = plan(body, SourceFacts(in_dr_region=False))

    assert [a.code for a in p.attention if a.path == "properties.source.imageId"] == [
        "source_not_in_dr_region"
    ]


def test_restored_body_is_tagged_with_its_source_and_content_hash() -> None:
    p = plan()
    assert p.body["tags"][SOURCE_TAG] == str(TID)
    assert p.body["tags"][HASH_TAG] == p.content_hash
    assert p.body["tags"]["imagetemplate_tag1"] == "IT_T1"


def test_the_same_backup_plans_the_same_body_and_hash_every_time() -> None:
    first, second = plan(), plan()
    assert first.body == second.body and first.content_hash == second.content_hash


def test_planning_does_not_modify_the_backup() -> None:
    body = template()
    before = copy.deepcopy(body)
    plan(body)
    assert body == before


def test_restored_body_fits_the_sdk_schema_and_points_at_the_dr_region() -> None:
    p = plan()

    assert sdk_body_errors(p.body) == []
    props = p.body["properties"]
    assert p.body["location"] == "westus"
    assert props["distribute"][1]["targetRegions"][0]["name"] == "westus"
    assert props["vmProfile"]["vnetConfig"]["subnetId"] == DR_SUBNET


def test_no_existing_dr_template_means_create() -> None:
    assert already_restored(plan(), None) is False


def test_existing_dr_template_with_the_same_content_is_success() -> None:
    p = plan()
    existing = {"tags": dict(p.body["tags"]), "properties": {"provisioningState": "Succeeded"}}
    assert already_restored(p, existing) is True


def test_existing_dr_template_with_other_content_is_a_conflict_explaining_what_to_do() -> None:
    p = plan()
    existing = {"tags": {HASH_TAG: "0" * 64}, "properties": {"provisioningState": "Succeeded"}}
    with pytest.raises(RestoreConflict) as err:
        already_restored(p, existing)
    assert "delete it and restore again" in err.value.message
    assert '"name"' in err.value.message


def test_existing_dr_template_that_failed_to_provision_must_be_deleted_first() -> None:
    p = plan()
    existing = {"tags": dict(p.body["tags"]), "properties": {"provisioningState": "Failed"}}
    with pytest.raises(RestoreConflict, match="failed to provision"):
        already_restored(p, existing)


def test_backup_without_location_names_the_field() -> None:
    body = template()
    del body["location"]
    with pytest.raises(InvalidInput) as err:
        plan(body)
    assert err.value.field == "backup.location"


def test_restore_declares_the_identity_assign_action_its_put_needs() -> None:
    """Every template attaches a user-assigned identity; ARM checks assign/action on it."""
    from shared.azure import image_templates
    from shared.azure.actions import declared_actions

    action = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
    assert action in declared_actions(image_templates)
