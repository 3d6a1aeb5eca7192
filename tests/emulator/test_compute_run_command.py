"""Run Command (POST {vm}/runCommand) through the real SDK: an LRO ending in RunCommandResult."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute.models import RunCommandInput

from emulator.providers.compute import run_command
from emulator.server import ArmEmulator
from tests.plugins.arm import arm_id, vm_resource


@pytest.fixture
def vms(arm: ArmEmulator) -> None:
    windows = vm_resource("win")
    windows["properties"]["storageProfile"]["osDisk"]["osType"] = "Windows"
    arm.seed({"resources": [vm_resource("web"), vm_resource("db", power="deallocated"), windows]})


def _run(compute: ComputeManagementClient, vm: str, command: str, *script: str) -> list[dict]:
    body = RunCommandInput(command_id=command, script=list(script))
    result = compute.virtual_machines.begin_run_command("rg", vm, body).result()
    return [v.as_dict() for v in result.value or []]


def test_a_linux_script_reports_stdout_and_stderr_in_one_extension_status(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    run_command.set_result(arm.core, "web", stdout="active", stderr="warn")
    (status,) = _run(compute, "web", "RunShellScript", "systemctl is-active app")
    assert status["code"] == "ProvisioningState/succeeded"
    assert status["message"] == "Enable succeeded: \n[stdout]\nactive\n[stderr]\nwarn"
    assert run_command.runs(arm.core) == [
        {
            "vmId": arm_id("virtualMachines", "web"),
            "commandId": "RunShellScript",
            "script": ["systemctl is-active app"],
        }
    ]
    # The call is an LRO: 202 with Azure-AsyncOperation, then the status and the Location GET.
    posts = [e for e in arm.log.entries() if e.method == "POST" and e.path.endswith("runCommand")]
    assert [e.status for e in posts] == [202]


def test_a_failing_linux_script_reports_its_exit_status(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    run_command.set_result(arm.core, "", stdout="", stderr="no such unit", exit_code=3)
    (status,) = _run(compute, "web", "RunShellScript", "systemctl is-active app")
    assert status["code"] == "ProvisioningState/failed/3"
    assert status["message"].startswith("Enable failed: ")
    assert "exit status=3" in status["message"] and "no such unit" in status["message"]


def test_windows_reports_stdout_and_stderr_as_component_statuses(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    run_command.set_result(arm.core, "win", stdout="Running")
    statuses = _run(compute, "win", "RunPowerShellScript", "(Get-Service app).Status")
    assert [(s["code"], s["message"]) for s in statuses] == [
        ("ComponentStatus/StdOut/succeeded", "Running"),
        ("ComponentStatus/StdErr/succeeded", ""),
    ]


def test_refusals_a_stopped_vm_an_unknown_command_and_the_other_os(
    vms: None, compute: ComputeManagementClient, arm: ArmEmulator
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        _run(compute, "db", "RunShellScript", "true")
    assert caught.value.status_code == 409 and caught.value.error.code == "OperationNotAllowed"
    for vm, command in (("web", "ifconfig-all"), ("web", "RunPowerShellScript")):
        with pytest.raises(HttpResponseError) as caught:
            _run(compute, vm, command, "true")
        assert caught.value.status_code == 400 and caught.value.error.target == "commandId"
    assert run_command.runs(arm.core) == []
