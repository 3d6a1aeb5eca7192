"""Compute galleries, image definitions and versions through the real ComputeManagementClient."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator

IDENTIFIER = {"publisher": "Contoso", "offer": "web", "sku": "22_04"}


def rg_id(env: LifeboatEnv, rg: str = "rg") -> str:
    return f"/subscriptions/{env.subscription}/resourceGroups/{rg}"


def gallery(env: LifeboatEnv, name: str = "gal", location: str = "eastus") -> Any:
    compute = env.clients.compute(env.subscription)
    compute.galleries.begin_create_or_update("rg", name, {"location": location}).result()
    body = {
        "location": location,
        "properties": {"osType": "Linux", "osState": "Generalized", "identifier": IDENTIFIER},
    }
    return compute.gallery_images.begin_create_or_update("rg", name, "img", body).result()


def snapshot(env: LifeboatEnv, name: str = "snap", location: str = "eastus") -> str:
    rid = f"{rg_id(env)}/providers/Microsoft.Compute/snapshots/{name}"
    env.arm.seed(
        {"resources": [{"id": rid, "location": location, "properties": {"diskSizeGB": 64}}]}
    )
    return rid


def version_body(source: str, *regions: str, location: str = "eastus") -> dict[str, Any]:
    targets = [{"name": r} for r in regions] or [{"name": location}]
    return {
        "location": location,
        "properties": {
            "publishingProfile": {"targetRegions": targets},
            "storageProfile": {"osDiskImage": {"source": {"id": source}}},
        },
    }


def create_version(
    env: LifeboatEnv, body: dict[str, Any], gal: str = "gal", v: str = "1.0.0", poll: bool = False
) -> Any:
    """PUT a version; without `poll` the client reads the resource instead (as Lifeboat does)."""
    compute = env.clients.compute(env.subscription)
    ops = compute.gallery_image_versions
    return ops.begin_create_or_update("rg", gal, "img", v, body, polling=poll).result()


def replication(env: LifeboatEnv, gal: str = "gal", v: str = "1.0.0") -> dict[str, Any]:
    compute = env.clients.compute(env.subscription)
    got = compute.gallery_image_versions.get("rg", gal, "img", v, expand="ReplicationStatus")
    status = got.replication_status
    return {
        "state": got.provisioning_state,
        "aggregated": status.aggregated_state,
        "regions": {s.region: (s.state, s.progress) for s in status.summary},
    }


def test_gallery_and_image_definition_round_trip(lifeboat_env: LifeboatEnv) -> None:
    image = gallery(lifeboat_env)
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    got = compute.galleries.get("rg", "gal")
    assert got.provisioning_state == "Succeeded"
    assert got.identifier.unique_name == f"{lifeboat_env.subscription}-GAL"
    assert (image.os_type, image.os_state, image.hyper_v_generation) == (
        "Linux",
        "Generalized",
        "V1",
    )
    assert image.identifier.sku == "22_04"
    assert [g.name for g in compute.galleries.list_by_resource_group("rg")] == ["gal"]
    assert [g.name for g in compute.galleries.list()] == ["gal"]
    assert [i.name for i in compute.gallery_images.list_by_gallery("rg", "gal")] == ["img"]
    compute.galleries.begin_update("rg", "gal", {"tags": {"team": "dr"}}).result()
    assert compute.galleries.get("rg", "gal").tags == {"team": "dr"}


def test_image_definition_needs_its_gallery(lifeboat_env: LifeboatEnv) -> None:
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    body = {
        "location": "eastus",
        "properties": {"osType": "Linux", "osState": "Generalized", "identifier": IDENTIFIER},
    }
    with pytest.raises(ResourceNotFoundError) as err:
        compute.gallery_images.begin_create_or_update("rg", "nope", "img", body).result()
    assert err.value.error.code == "ParentResourceNotFound"


def test_image_definition_identity_fields_cannot_change(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    body = {
        "location": "eastus",
        "properties": {"osType": "Windows", "osState": "Generalized", "identifier": IDENTIFIER},
    }
    with pytest.raises(HttpResponseError) as err:
        compute.gallery_images.begin_create_or_update("rg", "gal", "img", body).result()
    assert (err.value.status_code, err.value.error.code) == (400, "PropertyChangeNotAllowed")


def test_version_target_regions_come_back_as_display_names(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env, location="eastus2")
    snap = snapshot(lifeboat_env, location="eastus2")
    body = version_body(snap, "eastus2", location="eastus2")
    body["properties"]["publishingProfile"]["targetRegions"][0].update(
        regionalReplicaCount=2, storageAccountType="Standard_ZRS"
    )
    version = create_version(lifeboat_env, body, poll=True)
    region = version.publishing_profile.target_regions[0]
    assert (region.name, region.regional_replica_count, region.storage_account_type) == (
        "East US 2",
        2,
        "Standard_ZRS",
    )
    assert version.storage_profile.os_disk_image.size_in_gb == 64
    assert version.location == "eastus2"
    # Polled to its end, the LRO is over only when (as in Azure) every replica is done.
    assert version.provisioning_state == "Succeeded"
    assert replication(lifeboat_env)["aggregated"] == "Completed"


def test_zone_redundant_storage_is_refused_where_there_are_no_zones(
    lifeboat_env: LifeboatEnv,
) -> None:
    gallery(lifeboat_env)
    body = version_body(snapshot(lifeboat_env), "eastus", "westus")
    body["properties"]["publishingProfile"]["targetRegions"][1]["storageAccountType"] = (
        "Standard_ZRS"
    )
    with pytest.raises(HttpResponseError) as err:
        create_version(lifeboat_env, body)
    assert (err.value.status_code, err.value.error.code) == (400, "InvalidParameter")
    assert "West US" in err.value.error.message


def test_replication_advances_with_the_clock(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    create_version(lifeboat_env, version_body(snapshot(lifeboat_env), "eastus", "westus2"))
    before = replication(lifeboat_env)
    # As in Azure (the recorded targetRegions update): Creating until every replica is done.
    assert (before["state"], before["aggregated"]) == ("Creating", "InProgress")
    assert before["regions"] == {"East US": ("Replicating", 0), "West US 2": ("Replicating", 0)}
    lifeboat_env.arm.clock.advance(450)
    middle = replication(lifeboat_env)
    assert middle["regions"] == {"East US": ("Completed", 100), "West US 2": ("Replicating", 50)}
    assert (middle["state"], middle["aggregated"]) == ("Creating", "InProgress")
    lifeboat_env.arm.clock.advance(450)
    done = replication(lifeboat_env)
    assert (done["state"], done["aggregated"]) == ("Succeeded", "Completed")


def test_patch_adds_a_region_and_replicates_it(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    snap = snapshot(lifeboat_env)
    create_version(lifeboat_env, version_body(snap, "eastus"))
    lifeboat_env.arm.clock.advance(300)
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    update = {
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": "eastus"}, {"name": "westus"}]}
        }
    }
    ops = compute.gallery_image_versions
    patched = ops.begin_update("rg", "gal", "img", "1.0.0", update, polling=False)
    assert [t.name for t in patched.result().publishing_profile.target_regions] == [
        "East US",
        "West US",
    ]
    assert replication(lifeboat_env)["regions"]["West US"] == ("Replicating", 0)
    assert replication(lifeboat_env)["state"] == "Updating"
    lifeboat_env.arm.clock.advance(900)
    done = replication(lifeboat_env)
    assert (done["state"], done["aggregated"]) == ("Succeeded", "Completed")


def test_version_is_creating_until_its_operation_completes(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    body = version_body(snapshot(lifeboat_env), "eastus", "westus")
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    compute.gallery_image_versions.begin_create_or_update(
        "rg", "gal", "img", "1.0.0", body, polling=False
    )
    assert replication(lifeboat_env)["state"] == "Creating"
    lifeboat_env.arm.settle()
    # An operation nobody polled, ended by emulated time, changes nothing: still replicating.
    after = replication(lifeboat_env)
    assert (after["state"], after["aggregated"]) == ("Creating", "InProgress")
    lifeboat_env.arm.clock.advance(900)
    assert replication(lifeboat_env)["state"] == "Succeeded"


def test_removing_a_replicated_region_needs_the_safety_flag(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    create_version(lifeboat_env, version_body(snapshot(lifeboat_env), "eastus", "westus"))
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    only_home = {"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]}}}
    with pytest.raises(ResourceExistsError) as err:
        compute.gallery_image_versions.begin_update("rg", "gal", "img", "1.0.0", only_home)
    assert err.value.error.code == "OperationNotAllowed"
    allowed = {**only_home}
    allowed["properties"] = {
        **only_home["properties"],
        "safetyProfile": {"allowDeletionOfReplicatedLocations": True},
    }
    result = compute.gallery_image_versions.begin_update("rg", "gal", "img", "1.0.0", allowed)
    assert [t.name for t in result.result().publishing_profile.target_regions] == ["East US"]
    assert set(replication(lifeboat_env)["regions"]) == {"East US"}


def test_the_home_region_can_never_be_removed(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    create_version(lifeboat_env, version_body(snapshot(lifeboat_env), "eastus", "westus"))
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    update = {
        "properties": {
            "publishingProfile": {"targetRegions": [{"name": "westus"}]},
            "safetyProfile": {"allowDeletionOfReplicatedLocations": True},
        }
    }
    with pytest.raises(HttpResponseError) as err:
        compute.gallery_image_versions.begin_update("rg", "gal", "img", "1.0.0", update)
    assert (err.value.status_code, err.value.error.code) == (400, "InvalidParameter")


def test_version_from_a_managed_image_takes_its_disk_sizes(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    image_id = f"{rg_id(lifeboat_env)}/providers/Microsoft.Compute/images/golden"
    os_disk = {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 40}
    data = [{"lun": 0, "diskSizeGB": 100}]
    lifeboat_env.arm.seed(
        {
            "resources": [
                {
                    "id": image_id,
                    "location": "eastus",
                    "properties": {"storageProfile": {"osDisk": os_disk, "dataDisks": data}},
                }
            ]
        }
    )
    body = {"location": "eastus", "properties": {"storageProfile": {"source": {"id": image_id}}}}
    version = create_version(lifeboat_env, body)
    assert version.storage_profile.source.id == image_id
    assert version.storage_profile.os_disk_image.size_in_gb == 40
    assert [(d.lun, d.size_in_gb) for d in version.storage_profile.data_disk_images] == [(0, 100)]


def test_version_from_a_snapshot_source_id(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    snap = snapshot(lifeboat_env)
    body = {"location": "eastus", "properties": {"storageProfile": {"source": {"id": snap}}}}
    version = create_version(lifeboat_env, body)
    assert version.storage_profile.os_disk_image.size_in_gb == 64
    assert [t.name for t in version.publishing_profile.target_regions] == ["East US"]


def test_source_in_another_region_is_refused(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    with pytest.raises(HttpResponseError) as err:
        create_version(lifeboat_env, version_body(snapshot(lifeboat_env, location="westus")))
    assert (err.value.status_code, err.value.error.code) == (400, "InvalidParameter")


def test_cross_gallery_copy_needs_a_replica_in_the_new_region(lifeboat_env: LifeboatEnv) -> None:
    source = gallery(lifeboat_env)
    created = create_version(lifeboat_env, version_body(snapshot(lifeboat_env), "eastus", "westus"))
    gallery(lifeboat_env, name="drgal", location="westus")
    copy = {"location": "westus", "properties": {"storageProfile": {"source": {"id": created.id}}}}
    with pytest.raises(HttpResponseError) as err:
        create_version(lifeboat_env, copy, gal="drgal")
    assert "West US" in err.value.error.message
    lifeboat_env.arm.clock.advance(900)
    copied = create_version(lifeboat_env, copy, gal="drgal")
    assert copied.location == "westus"
    assert [t.name for t in copied.publishing_profile.target_regions] == ["West US"]
    assert copied.storage_profile.os_disk_image.size_in_gb == 64
    assert copied.storage_profile.source.id == created.id
    assert source.location == "eastus"


def test_nested_resources_block_deletes_and_deletes_complete(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    create_version(lifeboat_env, version_body(snapshot(lifeboat_env)))
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    with pytest.raises(ResourceExistsError) as err:
        compute.gallery_images.begin_delete("rg", "gal", "img").result()
    assert err.value.error.code == "CannotDeleteResource"
    compute.gallery_image_versions.begin_delete("rg", "gal", "img", "1.0.0").result()
    compute.gallery_images.begin_delete("rg", "gal", "img").result()
    compute.galleries.begin_delete("rg", "gal").result()
    assert list(compute.galleries.list()) == []
    compute.galleries.begin_delete("rg", "gal").result()  # already gone: 204


def test_versions_list_pages_with_next_links(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    snap = snapshot(lifeboat_env)
    for n in range(3):
        create_version(lifeboat_env, version_body(snap), v=f"1.0.{n}")
    lifeboat_env.arm.page_size = 2
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    names = [
        v.name for v in compute.gallery_image_versions.list_by_gallery_image("rg", "gal", "img")
    ]
    assert names == ["1.0.0", "1.0.1", "1.0.2"]


def test_requests_for_a_gallery_in_a_down_region_fail(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    lifeboat_env.arm.faults.region_down("eastus")
    compute = lifeboat_env.clients.compute(lifeboat_env.subscription)
    with pytest.raises(HttpResponseError) as err:
        compute.galleries.get("rg", "gal", retry_total=0)
    assert err.value.status_code == 503
    lifeboat_env.arm.faults.region_up("eastus")
    assert compute.galleries.get("rg", "gal").name == "gal"


def test_replication_stalls_while_the_target_region_is_down(lifeboat_env: LifeboatEnv) -> None:
    gallery(lifeboat_env)
    create_version(lifeboat_env, version_body(snapshot(lifeboat_env), "eastus", "westus"))
    lifeboat_env.arm.faults.region_down("westus")
    lifeboat_env.arm.clock.advance(1800)
    assert replication(lifeboat_env)["regions"]["West US"] == ("Replicating", 0)
    lifeboat_env.arm.faults.region_up("westus")
    lifeboat_env.arm.clock.advance(900)
    assert replication(lifeboat_env)["regions"]["West US"] == ("Completed", 100)
