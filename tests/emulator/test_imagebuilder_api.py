"""Image Builder templates, runs and run outputs through the real ImageBuilderClient."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobClient

from emulator.azurite import PRIMARY_ACCOUNT
from emulator.providers import aib_runs, imagebuilder
from tests.plugins.arm import LifeboatEnv

pytestmark = pytest.mark.emulator

BUILD = aib_runs.total_seconds()
DISTRIBUTING = aib_runs.phase_start("Distributing")
CONFLICT = (
    "Update/Upgrade of image templates is currently not supported. Please change the name of the "
    "template you are submitting. If you have previously tried to submit a template and it failed "
    "to provision, you must delete it first and then resubmit."
)


def rg_id(env: LifeboatEnv) -> str:
    return f"/subscriptions/{env.subscription}/resourceGroups/rg"


def image_definition(env: LifeboatEnv, location: str = "eastus") -> str:
    gallery = f"{rg_id(env)}/providers/Microsoft.Compute/galleries/gal"
    image = f"{gallery}/images/web"
    props = {
        "osType": "Linux",
        "osState": "Generalized",
        "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
    }
    env.arm.seed(
        {
            "resources": [
                {"id": gallery, "location": location},
                {"id": image, "location": location, "properties": props},
            ]
        }
    )
    return image


def sig(env: LifeboatEnv, name: str = "sig") -> dict[str, Any]:
    return {
        "type": "SharedImage",
        "runOutputName": name,
        "galleryImageId": image_definition(env),
        "targetRegions": [{"name": "eastus"}, {"name": "westus", "replicaCount": 2}],
        "artifactTags": {"built-by": "aib"},
    }


def managed(env: LifeboatEnv, name: str = "mi") -> dict[str, Any]:
    image = f"{rg_id(env)}/providers/Microsoft.Compute/images/{name}-image"
    return {"type": "ManagedImage", "runOutputName": name, "imageId": image, "location": "eastus"}


def vhd(name: str = "vhd") -> dict[str, Any]:
    return {"type": "VHD", "runOutputName": name}


def template(env: LifeboatEnv, *distribute: dict[str, Any], **extra: Any) -> dict[str, Any]:
    identity = f"{rg_id(env)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
    body: dict[str, Any] = {
        "location": "eastus",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
        "properties": {
            "source": {
                "type": "PlatformImage",
                "publisher": "Canonical",
                "offer": "ubuntu",
                "sku": "22_04-lts-gen2",
                "version": "latest",
            },
            "customize": [{"type": "Shell", "name": "hello", "inline": ["echo hello"]}],
            "distribute": list(distribute) or [vhd()],
        },
    }
    body.update(extra)
    return body


def client(env: LifeboatEnv) -> Any:
    return env.clients.image_builder(env.subscription).virtual_machine_image_templates


def create(env: LifeboatEnv, body: dict[str, Any], name: str = "tmpl") -> Any:
    return client(env).begin_create_or_update("rg", name, body).result()


def status(env: LifeboatEnv, name: str = "tmpl") -> Any:
    return client(env).get("rg", name).last_run_status


def run_started(env: LifeboatEnv, *distribute: dict[str, Any], **extra: Any) -> None:
    create(env, template(env, *distribute, **extra))
    client(env).begin_run("rg", "tmpl").result()


def test_create_get_list_and_defaults(lifeboat_env: LifeboatEnv) -> None:
    created = create(lifeboat_env, template(lifeboat_env), name="t1")
    assert created.provisioning_state == "Succeeded"
    assert created.last_run_status is None
    assert created.exact_staging_resource_group.split("/")[-1].startswith("IT_rg_t1_")
    identity = next(iter(created.identity.user_assigned_identities.values()))
    assert identity.principal_id and identity.client_id
    assert created.id.split("/")[3] == "resourcegroups"  # as Image Builder renders ids
    create(lifeboat_env, template(lifeboat_env), name="t2")
    assert [t.name for t in client(lifeboat_env).list_by_resource_group("rg")] == ["t1", "t2"]
    assert [t.name for t in client(lifeboat_env).list()] == ["t1", "t2"]
    assert client(lifeboat_env).get("rg", "t2").distribute[0].type == "VHD"


def test_put_on_an_existing_template_is_a_409_with_azures_message(
    lifeboat_env: LifeboatEnv,
) -> None:
    create(lifeboat_env, template(lifeboat_env))
    with pytest.raises(ResourceExistsError) as err:
        create(lifeboat_env, template(lifeboat_env))
    assert (err.value.status_code, err.value.error.code) == (409, "Conflict")
    assert err.value.error.message == CONFLICT


def test_structurally_invalid_template_is_a_400(lifeboat_env: LifeboatEnv) -> None:
    body = template(lifeboat_env)
    body["properties"]["distribute"] = [{"type": "Blob", "runOutputName": "x"}]
    with pytest.raises(HttpResponseError) as err:
        create(lifeboat_env, body)
    assert err.value.status_code == 400
    del body["identity"]
    with pytest.raises(HttpResponseError):
        create(lifeboat_env, body)


def test_missing_managed_image_source_fails_provisioning(lifeboat_env: LifeboatEnv) -> None:
    body = template(lifeboat_env)
    body["properties"]["source"] = {
        "type": "ManagedImage",
        "imageId": f"{rg_id(lifeboat_env)}/providers/Microsoft.Compute/images/missing",
    }
    with pytest.raises(HttpResponseError) as err:
        create(lifeboat_env, body)
    assert err.value.error.code == "BadManagedImageSource"
    got = client(lifeboat_env).get("rg", "tmpl")
    assert got.provisioning_state == "Failed"
    assert got.provisioning_error.provisioning_error_code == "BadManagedImageSource"


def test_run_moves_through_every_sub_state_on_the_clock(lifeboat_env: LifeboatEnv) -> None:
    run_started(lifeboat_env)
    seen, elapsed = [], 0.0
    for name, _ in aib_runs.PHASES:
        target = aib_runs.phase_start(name) + 1
        lifeboat_env.arm.clock.advance(target - elapsed)
        elapsed = target
        current = status(lifeboat_env)
        assert (current.run_state, str(current.end_time.year)) == ("Running", "1")
        seen.append(current.run_sub_state)
    assert seen == [p for p, _ in aib_runs.PHASES]
    lifeboat_env.arm.clock.advance(BUILD)
    done = status(lifeboat_env)
    assert (done.run_state, done.run_sub_state, done.message) == (
        "Succeeded",
        "Distributing",
        "",
    )
    assert (done.end_time - done.start_time).total_seconds() == BUILD


def test_run_outputs_create_the_real_artifacts(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    run_started(env, sig(env), managed(env), vhd())
    env.arm.clock.advance(DISTRIBUTING + 1)
    assert list(client(env).list_run_outputs("rg", "tmpl")) == []
    env.arm.clock.advance(BUILD)
    outputs = {o.name: o for o in client(env).list_run_outputs("rg", "tmpl")}
    assert {n: o.provisioning_state for n, o in outputs.items()} == dict.fromkeys(
        ("sig", "mi", "vhd"), "Succeeded"
    )
    compute = env.clients.compute(env.subscription)
    version_id = outputs["sig"].artifact_id
    version = compute.gallery_image_versions.get("rg", "gal", "web", version_id.rsplit("/", 1)[-1])
    assert [t.name for t in version.publishing_profile.target_regions] == ["East US", "West US"]
    assert version.publishing_profile.target_regions[1].regional_replica_count == 2
    assert version.provisioning_state == "Succeeded"
    assert version.tags == {"built-by": "aib"}
    image = compute.images.get("rg", "mi-image")
    assert (image.provisioning_state, image.storage_profile.os_disk.os_type) == (
        "Succeeded",
        "Linux",
    )
    uri = outputs["vhd"].artifact_uri
    assert uri.startswith(env.azurite.blob_url(PRIMARY_ACCOUNT))
    blob = BlobClient.from_blob_url(
        uri, credential={"account_name": PRIMARY_ACCOUNT, "account_key": account_key()}
    )
    props = blob.get_blob_properties()
    assert props.blob_type == "PageBlob" and props.size % 512 == 0
    one = client(env).get_run_output("rg", "tmpl", "mi")
    assert one.artifact_id.endswith("/images/mi-image")
    assert one.type == "Microsoft.VirtualMachineImages/imageTemplates/runOutputs"


def account_key() -> str:
    from emulator.azurite import ACCOUNTS

    return ACCOUNTS[PRIMARY_ACCOUNT]


def test_missing_run_output_is_a_404(lifeboat_env: LifeboatEnv) -> None:
    create(lifeboat_env, template(lifeboat_env))
    with pytest.raises(ResourceNotFoundError):
        client(lifeboat_env).get_run_output("rg", "tmpl", "nope")


def test_delete_is_refused_while_running_then_allowed(lifeboat_env: LifeboatEnv) -> None:
    run_started(lifeboat_env)
    with pytest.raises(ResourceExistsError) as err:
        client(lifeboat_env).begin_delete("rg", "tmpl").result()
    assert err.value.error.code == "OperationNotAllowed"
    assert err.value.error.message == (
        "Operation Microsoft.VirtualMachineImages/imageTemplates/delete is not allowed in "
        "provisioning state: provisioned or run state: running."
    )
    lifeboat_env.arm.clock.advance(BUILD)
    client(lifeboat_env).begin_delete("rg", "tmpl").result()
    with pytest.raises(ResourceNotFoundError):
        client(lifeboat_env).get("rg", "tmpl")


def test_cancel_goes_canceling_then_canceled(lifeboat_env: LifeboatEnv) -> None:
    run_started(lifeboat_env, vhd())
    lifeboat_env.arm.clock.advance(200)
    poller = client(lifeboat_env).begin_cancel("rg", "tmpl", polling=False)
    poller.result()
    assert status(lifeboat_env).run_state == "Canceling"
    lifeboat_env.arm.settle()
    canceled = status(lifeboat_env)
    assert (canceled.run_state, canceled.run_sub_state) == ("Canceled", "Building")
    lifeboat_env.arm.clock.advance(BUILD)
    assert list(client(lifeboat_env).list_run_outputs("rg", "tmpl")) == []
    with pytest.raises(ResourceExistsError) as err:
        client(lifeboat_env).begin_cancel("rg", "tmpl").result()
    assert err.value.error.code == "OperationNotAllowed"


def test_failed_outcome_tag_fails_the_build_without_artifacts(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    run_started(env, managed(env), tags={aib_runs.OUTCOME_TAG: "Failed"})
    env.arm.clock.advance(BUILD)
    failed = status(env)
    assert (failed.run_state, failed.run_sub_state) == ("Failed", "Customizing")
    assert "customization.log" in failed.message
    assert list(client(env).list_run_outputs("rg", "tmpl")) == []
    assert not env.arm.state.exists(managed(env)["imageId"])


def test_partially_succeeded_outcome_fails_the_last_target(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    create(env, template(env, managed(env), vhd()))
    template_id = client(env).get("rg", "tmpl").id
    imagebuilder.set_run_outcome(env.arm.core, template_id, "PartiallySucceeded")
    client(env).begin_run("rg", "tmpl").result()
    env.arm.clock.advance(BUILD)
    assert status(env).run_state == "PartiallySucceeded"
    assert "vhd" in status(env).message
    outputs = {o.name: o.provisioning_state for o in client(env).list_run_outputs("rg", "tmpl")}
    assert outputs == {"mi": "Succeeded", "vhd": "Failed"}


def test_missing_gallery_image_fails_the_only_target(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    target = {
        "type": "SharedImage",
        "runOutputName": "sig",
        "galleryImageId": f"{rg_id(env)}/providers/Microsoft.Compute/galleries/g/images/x",
    }
    run_started(env, target)
    env.arm.clock.advance(BUILD)
    assert status(env).run_state == "Failed"
    assert "was not found" in status(env).message


def test_region_outage_fails_the_running_build(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    run_started(env, managed(env))
    env.arm.clock.advance(600)
    env.arm.faults.region_down("eastus")
    env.arm.clock.advance(60)
    with pytest.raises(HttpResponseError) as err:
        client(env).begin_run("rg", "tmpl", retry_total=0)
    assert err.value.status_code == 503
    env.arm.faults.region_up("eastus")
    failed = status(env)
    assert (failed.run_state, failed.run_sub_state) == ("Failed", "Customizing")
    assert "eastus" in failed.message
    env.arm.clock.advance(BUILD)
    assert not env.arm.state.exists(managed(env)["imageId"])


def test_patch_updates_tags_vm_profile_and_distribute_only(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    create(env, template(env))
    update = {
        "tags": {"team": "dr"},
        "properties": {"vmProfile": {"vmSize": "Standard_D4s_v5"}, "distribute": [vhd("v2")]},
    }
    client(env).begin_update("rg", "tmpl", update).result()
    got = client(env).get("rg", "tmpl")
    assert (got.tags, got.vm_profile.vm_size, got.distribute[0].run_output_name) == (
        {"team": "dr"},
        "Standard_D4s_v5",
        "v2",
    )
    assert got.provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as err:
        client(env).begin_update("rg", "tmpl", {"properties": {"source": {"type": "x"}}}).result()
    assert err.value.status_code == 400


def test_run_op_completes_on_acceptance_and_recording_headers_are_present(
    lifeboat_env: LifeboatEnv,
) -> None:
    env = lifeboat_env
    create(env, template(env))
    env.arm.log.clear()
    client(env).begin_run("rg", "tmpl").result()
    posts = [e for e in env.arm.log.entries() if e.method == "POST"]
    polls = [e for e in env.arm.log.entries() if "/operations/" in e.path]
    assert [p.status for p in posts] == [202]
    assert len(polls) <= 3  # InProgress, Succeeded, final GET on Location
    assert all(
        "/providers/Microsoft.VirtualMachineImages/locations/eastus/operations/" in p.path
        for p in polls
    )
    assert status(env).run_state == "Running"


def test_auto_run_starts_a_build_once_provisioned(lifeboat_env: LifeboatEnv) -> None:
    body = template(lifeboat_env)
    body["properties"]["autoRun"] = {"state": "Enabled"}
    create(lifeboat_env, body)
    assert status(lifeboat_env).run_state == "Running"
    lifeboat_env.arm.clock.advance(BUILD)
    assert status(lifeboat_env).run_state == "Succeeded"
