"""Pure backup planning: deployable JSON, content hash, blob names, pointer metadata, retention."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.mgmt.imagebuilder import models

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.templates.backup import (
    Pointer,
    VersionInfo,
    content_hash,
    deployable,
    digest_of_version_blob,
    needs_backup,
    plan_retention,
    pointer_blob,
    template_id_of,
    version_blob,
    version_metadata,
)
from tests.plugins.payloads import load_payload
from tests.unit.test_templates_sdk_body import sdk_body_errors

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Test-RG"
    "/providers/Microsoft.VirtualMachineImages/imageTemplates/MyImageTemplate"
)


def recorded() -> dict[str, Any]:
    """The real GET of a template right after create (api 2020-02-14), plus newer read-only
    fields a current GET carries."""
    body: dict[str, Any] = load_payload("aib_recorded_get_imageTemplate_after_create")
    body["systemData"] = {"createdBy": "someone", "lastModifiedAt": "2026-01-01T00:00:00Z"}
    props = body["properties"]
    props["lastRunStatus"] = load_payload("aib_lastRunStatus_running_quickstart")["lastRunStatus"]
    props["exactStagingResourceGroup"] = "/subscriptions/x/resourceGroups/IT_test_MyImageTemplate"
    props["provisioningError"] = {"provisioningErrorCode": "Other", "message": "x"}
    props["source"]["exactVersion"] = "16.04.202004290"
    return body


def test_deployable_strips_every_server_set_field_and_keeps_the_definition() -> None:
    body = deployable(recorded())

    assert set(body) == {"location", "tags", "identity", "properties"}
    props = body["properties"]
    for gone in ("provisioningState", "provisioningError", "lastRunStatus"):
        assert gone not in props
    assert "exactStagingResourceGroup" not in props
    assert "exactVersion" not in props["source"]
    identity = next(iter(body["identity"]["userAssignedIdentities"].values()))
    assert identity == {}  # principalId / clientId are read-only
    assert props["customize"] == recorded()["properties"]["customize"]
    assert props["distribute"] == recorded()["properties"]["distribute"]


def test_deployable_turns_the_decorated_latest_version_into_a_puttable_latest() -> None:
    assert deployable(recorded())["properties"]["source"]["version"] == "latest"


def test_deployable_drops_arm_template_wrapper_keys_such_as_api_version() -> None:
    sample = load_payload("aib_template_vhd_quickstart")
    sample["location"] = "West US 2"

    body = deployable(sample)

    assert "apiVersion" not in body and "dependsOn" not in body and "type" not in body
    assert body["location"] == "westus2"


def test_deployable_drops_nulls_so_resource_graph_and_get_shapes_hash_alike() -> None:
    with_nulls = recorded()
    with_nulls["managedBy"] = None
    with_nulls["properties"]["vmProfile"] = None

    assert content_hash(deployable(with_nulls)) == content_hash(deployable(recorded()))


def test_deployable_body_fits_the_sdk_schema_for_a_put() -> None:
    assert sdk_body_errors(deployable(recorded())) == []


def test_the_recorded_get_itself_does_not_fit_because_of_its_read_only_fields() -> None:
    """Guards the test above: the same check refuses the body before stripping."""
    errors = sdk_body_errors(recorded())
    assert any("template.id: read-only" in e for e in errors)
    assert any("provisioningState: read-only" in e for e in errors)


def _read_only(model: Any) -> set[str]:
    return {f._rest_name for f in model._attr_to_rest_field.values() if f._visibility == ["read"]}


def test_every_read_only_field_of_the_sdk_models_is_stripped() -> None:
    """Catches a future SDK adding a server-set field we would otherwise back up and PUT."""
    sdk_top = _read_only(models.ImageTemplate({"location": "x", "identity": {}}))
    sdk_props = _read_only(models.ImageTemplateProperties({"source": {}, "distribute": []}))
    sdk_source = _read_only(models.ImageTemplatePlatformImageSource({}))
    raw = recorded()
    for key in sdk_top:
        raw[key] = "server-set"
    for key in sdk_props:
        raw["properties"][key] = "server-set"
    for key in sdk_source:
        raw["properties"]["source"][key] = "server-set"

    body = deployable(raw)

    assert sdk_top.isdisjoint(body)
    assert sdk_props.isdisjoint(body["properties"])
    assert sdk_source.isdisjoint(body["properties"]["source"])


def test_deployable_without_location_names_the_field() -> None:
    raw = recorded()
    del raw["location"]
    with pytest.raises(InvalidInput) as err:
        deployable(raw)
    assert err.value.field == "template.location"


def test_content_hash_ignores_key_order_but_not_customizer_order() -> None:
    body = deployable(recorded())
    reordered = dict(reversed(list(body.items())))
    steps = copy.deepcopy(body)
    steps["properties"]["customize"].append({"type": "Shell", "name": "b", "inline": ["x"]})
    swapped = copy.deepcopy(steps)
    swapped["properties"]["customize"].reverse()

    assert content_hash(reordered) == content_hash(body)
    assert content_hash(steps) != content_hash(swapped)
    assert len(content_hash(body)) == 64


def test_blob_names_are_case_insensitive_per_template_and_named_by_hash() -> None:
    tid = template_id_of(TID)
    upper = template_id_of(TID.upper().replace("PROVIDERS", "providers"))

    assert pointer_blob(tid) == pointer_blob(upper)
    assert pointer_blob(tid) == (
        "00000000-0000-0000-0000-000000000000/test-rg/myimagetemplate/latest.json"
    )
    assert version_blob(tid, "ab" * 32).endswith(f"/myimagetemplate/versions/{'ab' * 32}.json")
    assert digest_of_version_blob(version_blob(tid, "cd" * 32)) == "cd" * 32


def test_template_id_of_refuses_other_resource_types() -> None:
    with pytest.raises(InvalidInput) as err:
        template_id_of("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/i")
    assert err.value.field == "templateId"


def test_pointer_metadata_is_ascii_even_for_unicode_resource_groups_and_round_trips() -> None:
    source = TID.replace("Test-RG", "grupo-producción")
    pointer = Pointer(source, "ab" * 32, T0, "2025-10-01").marked_deleted(T0 + timedelta(1))

    meta = pointer.to_metadata()

    assert all(v.isascii() for v in meta.values())
    assert meta["deleted"] == "true"
    assert Pointer.from_metadata(meta) == pointer


def test_version_metadata_has_the_source_and_capture_facts_but_no_deleted_state() -> None:
    meta = version_metadata(TID, "ab" * 32, T0, "2025-10-01")

    assert meta == {
        "sourceid": TID,
        "capturedat": T0.isoformat(),
        "contenthash": "ab" * 32,
        "apiversion": "2025-10-01",
    }


def test_marking_an_already_deleted_pointer_keeps_the_first_deletion_time() -> None:
    once = Pointer(TID, "a" * 64, T0, "v").marked_deleted(T0 + timedelta(hours=1))
    assert once.marked_deleted(T0 + timedelta(days=9)) == once


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        (None, True),
        (Pointer(TID, "a" * 64, T0, "v"), False),
        (Pointer(TID, "b" * 64, T0, "v"), True),
        (Pointer(TID, "a" * 64, T0, "v", deleted=True, deleted_at=T0), True),
    ],
)
def test_only_the_same_live_content_needs_no_backup(
    pointer: Pointer | None, expected: bool
) -> None:
    assert needs_backup(pointer, "a" * 64) is expected


def _versions(n: int) -> list[VersionInfo]:
    return [VersionInfo(f"{i:064x}", T0 + timedelta(hours=i)) for i in range(n)]


def test_retention_deletes_all_but_the_newest_n() -> None:
    versions = _versions(5)

    doomed = plan_retention(versions, keep=3, current=versions[4].content_hash)

    assert set(doomed) == {versions[0].content_hash, versions[1].content_hash}


def test_retention_never_deletes_the_version_the_pointer_names() -> None:
    versions = _versions(5)

    doomed = plan_retention(versions, keep=2, current=versions[0].content_hash)

    assert versions[0].content_hash not in doomed
    assert set(doomed) == {v.content_hash for v in versions[1:3]}


def test_retention_with_fewer_versions_than_the_limit_deletes_nothing() -> None:
    assert plan_retention(_versions(2), keep=30, current="x") == ()


def test_retention_breaks_ties_on_capture_time_deterministically() -> None:
    same_time = [VersionInfo(h * 64, T0) for h in "cab"]

    assert plan_retention(same_time, keep=1, current="c" * 64) == ("b" * 64, "a" * 64)
    assert plan_retention(list(reversed(same_time)), keep=1, current="c" * 64) == (
        "b" * 64,
        "a" * 64,
    )


def test_resource_id_parse_of_a_template_id_keeps_subscription_group_and_name() -> None:
    tid = template_id_of(TID)
    assert (tid.subscription, tid.resource_group, tid.name) == (
        "00000000-0000-0000-0000-000000000000",
        "Test-RG",
        "MyImageTemplate",
    )
    assert isinstance(tid, ResourceId)
