"""Pure build decisions: wait while running, nothing for failed builds, protect what succeeded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.azure.image_builds import BuildRun, DistributeTarget, RunOutput, parse_build
from shared.config import Settings
from shared.errors import InvalidInput
from shared.images.build_decision import BuildOutcome, decide_build, kind_of, run_key
from shared.images.model import ArtifactKind
from tests.plugins.payloads import load_payload

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/images/providers"
TEMPLATE = f"{RG}/Microsoft.VirtualMachineImages/imageTemplates/web"
START = datetime(2030, 1, 1, 10, tzinfo=UTC)
END = datetime(2030, 1, 1, 10, 45, tzinfo=UTC)
VERSION = f"{RG}/Microsoft.Compute/galleries/golden/images/web/versions/1.0.0"
IMAGE = f"{RG}/Microsoft.Compute/images/web"
VHD = "https://staging.blob.core.windows.net/vhds/web.vhd"


@pytest.fixture
def settings() -> Settings:
    return Settings(images_build_poll_seconds=120)


def run(state: str | None, message: str = "") -> BuildRun:
    from shared.arm_id import ResourceId

    return BuildRun(
        ResourceId.parse(TEMPLATE),
        "eastus",
        state,
        "Distributing",
        message,
        START,
        END,
        (
            DistributeTarget("SharedImage", "gallery"),
            DistributeTarget("ManagedImage", "managed"),
            DistributeTarget("VHD", "vhd"),
        ),
    )


OUTPUTS = (
    RunOutput("gallery", VERSION, None, "Succeeded"),
    RunOutput("managed", IMAGE, None, "Succeeded"),
    RunOutput("vhd", None, VHD, "Succeeded"),
)


def test_running_build_waits_for_the_configured_poll_interval(settings: Settings) -> None:
    decision = decide_build(run("Running"), (), settings)
    assert decision.outcome is BuildOutcome.WAIT
    assert decision.wait_seconds == 120
    assert "Distributing" in decision.reason


@pytest.mark.parametrize("state", ["Failed", "Canceled"])
def test_failed_or_canceled_build_is_not_replicated_and_says_why(
    settings: Settings, state: str
) -> None:
    decision = decide_build(run(state, "customizer exited 1"), OUTPUTS, settings)
    assert decision.outcome is BuildOutcome.NOT_REPLICATED
    assert decision.artifacts == ()
    assert state in decision.reason
    assert "customizer exited 1" in decision.reason


def test_succeeded_build_protects_one_artifact_per_distribute_target(settings: Settings) -> None:
    decision = decide_build(run("Succeeded"), OUTPUTS, settings)
    assert decision.outcome is BuildOutcome.PROTECT
    assert [(a.kind, a.source) for a in decision.artifacts] == [
        (ArtifactKind.GALLERY_VERSION, VERSION),
        (ArtifactKind.MANAGED_IMAGE, IMAGE),
        (ArtifactKind.VHD, VHD),
    ]
    assert all(a.template_id == TEMPLATE and a.region == "eastus" for a in decision.artifacts)
    assert decision.not_protected == ()


def test_partially_succeeded_build_protects_what_succeeded_and_says_what_did_not(
    settings: Settings,
) -> None:
    outputs = (OUTPUTS[0], RunOutput("managed", None, None, "Failed"))
    decision = decide_build(run("PartiallySucceeded"), outputs, settings)
    assert decision.outcome is BuildOutcome.PROTECT
    assert [a.run_output for a in decision.artifacts] == ["gallery"]
    assert decision.not_protected == (
        "run output managed: Failed",
        "distribute target vhd (VHD): no run output",
    )


def test_a_newer_run_supersedes_the_one_the_job_was_created_for(settings: Settings) -> None:
    decision = decide_build(run("Succeeded"), OUTPUTS, settings, expected_start=END)
    assert decision.outcome is BuildOutcome.SUPERSEDED


def test_template_that_never_ran_or_is_gone_has_nothing_to_protect(settings: Settings) -> None:
    assert decide_build(None, (), settings).outcome is BuildOutcome.NOT_REPLICATED
    assert decide_build(run(None), (), settings).outcome is BuildOutcome.NOT_REPLICATED


def test_imageversions_spelling_of_a_run_output_is_normalised(settings: Settings) -> None:
    spelled = VERSION.replace("/versions/", "/imageversions/")
    outputs = (RunOutput("gallery", spelled, None, "Succeeded"),)
    decision = decide_build(run("Succeeded"), outputs, settings)
    assert decision.artifacts[0].source == VERSION


def test_run_key_identifies_one_run_of_one_template_caselessly() -> None:
    assert run_key(TEMPLATE, START) == run_key(TEMPLATE.upper(), START)
    assert run_key(TEMPLATE, START) != run_key(TEMPLATE, END)


def test_artifact_kind_is_told_from_the_id_or_url() -> None:
    assert kind_of(VERSION) is ArtifactKind.GALLERY_VERSION
    assert kind_of(IMAGE) is ArtifactKind.MANAGED_IMAGE
    assert kind_of(VHD) is ArtifactKind.VHD
    with pytest.raises(InvalidInput) as err:
        kind_of(f"{RG}/Microsoft.Compute/disks/d")
    assert err.value.field == "artifact_id"


def test_recorded_template_parses_and_running_status_has_no_end_time() -> None:
    body = load_payload("aib_recorded_get_imageTemplate_after_create")
    body["properties"]["lastRunStatus"] = load_payload("aib_lastRunStatus_running_quickstart")[
        "lastRunStatus"
    ]
    build = parse_build(body)
    assert build.run_state == "Running"
    assert build.end_time is None
    assert build.start_time == datetime(2019, 8, 21, 0, 39, 40, 613224, tzinfo=UTC)
    assert build.distribute == (DistributeTarget("ManagedImage", "image_it_pir_1"),)
    assert not build.finished


def test_lower_case_run_states_of_early_api_versions_are_understood() -> None:
    body = {
        "id": TEMPLATE,
        "location": "East US",
        "properties": {"lastRunStatus": {"runState": "succeeded"}},
    }
    build = parse_build(body)
    assert build.run_state == "Succeeded"
    assert build.location == "eastus"
    assert build.finished
