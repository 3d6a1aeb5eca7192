"""POST {vm}/runCommand: the Run Command action (RunShellScript, RunPowerShellScript).

An LRO (202 + Azure-AsyncOperation + Location); its end (the Location GET, and
`properties.output` of the operation status) is the `RunCommandResult` `{"value": [...]}`
shaped like the published example (`runCommandExamples/VirtualMachineRunCommand.json`):
Windows `ComponentStatus/StdOut/succeeded` and `ComponentStatus/StdErr/succeeded` entries;
Linux one `ProvisioningState/succeeded` entry whose message is `Enable succeeded: \\n[stdout]\\n
...\\n[stderr]\\n...` (the VM extension's format). Nothing runs: the output is what a test set
with `set_result` (default: empty output, exit 0). Refused: a VM that is not running (409
OperationNotAllowed), an unknown `commandId` or one for the other OS (400 InvalidParameter) [U].
A Linux script that exits non-zero ends `ProvisioningState/failed/<code>` with `Enable failed:
... exit status=<code>` [U: Azure's exact code string for a failed script is not documented].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.compute.common import RG, Body, lro_accepted
from emulator.providers.compute.vms import power_state

_KEY = "compute.run_command"
COMMANDS = {"runshellscript": "Linux", "runpowershellscript": "Windows"}


@dataclass(frozen=True)
class CommandResult:
    """What the next Run Command on a VM reports."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


@dataclass
class _State:
    results: dict[str, CommandResult]
    runs: list[Body]

    def reset(self) -> None:
        self.results.clear()
        self.runs.clear()


def _state(core: Core) -> _State:
    found: _State | None = core.extensions.get(_KEY)
    if found is None:
        found = core.extensions[_KEY] = _State({}, [])
        core.on_reset(found.reset)
    return found


def set_result(
    core: Core, vm: str = "", *, stdout: str = "", stderr: str = "", exit_code: int = 0
) -> None:
    """Control: what Run Command reports on VMs whose name contains `vm` ('' = every VM).

    The most specific (longest) match wins; reset with the emulator.
    """
    _state(core).results[vm.lower()] = CommandResult(stdout, stderr, exit_code)


def runs(core: Core) -> list[Body]:
    """Control: every Run Command accepted so far (`vmId`, `commandId`, `script`)."""
    return list(_state(core).runs)


def _result_for(core: Core, name: str) -> CommandResult:
    results = _state(core).results
    matches = [key for key in results if key in name.lower()]
    return results[max(matches, key=len)] if matches else CommandResult()


def _status(code: str, message: str, failed: bool = False) -> Body:
    return {
        "code": code,
        "level": "Error" if failed else "Info",
        "displayStatus": "Provisioning failed" if failed else "Provisioning succeeded",
        "message": message,
    }


def output(command: str, result: CommandResult) -> Body:
    """The RunCommandResult body of `result` for `command` (a key of COMMANDS)."""
    if COMMANDS[command] == "Windows":
        return {
            "value": [
                _status("ComponentStatus/StdOut/succeeded", result.stdout),
                _status("ComponentStatus/StdErr/succeeded", result.stderr),
            ]
        }
    streams = f"\n[stdout]\n{result.stdout}\n[stderr]\n{result.stderr}"
    if result.exit_code:
        why = f"failed to execute command: command terminated with exit status={result.exit_code}"
        return {
            "value": [
                _status(
                    f"ProvisioningState/failed/{result.exit_code}",
                    f"Enable failed: {why}{streams}",
                    failed=True,
                )
            ]
        }
    return {"value": [_status("ProvisioningState/succeeded", f"Enable succeeded: {streams}")]}


def _run(core: Core, req: Request) -> Response:
    vm: Body = core.store.require(req.resource_id.rsplit("/", 1)[0])
    body = req.json_object()
    command = str(body.get("commandId") or "")
    os_type = COMMANDS.get(command.lower())
    if os_type is None:
        raise errors.invalid_parameter(
            f"The command id '{command}' is not supported; expected one of RunShellScript, "
            "RunPowerShellScript.",
            "commandId",
        )
    vm_os = str(vm.get("properties", {}).get("storageProfile", {}).get("osDisk", {}).get("osType"))
    if vm_os.lower() in ("linux", "windows") and vm_os.lower() != os_type.lower():
        raise errors.invalid_parameter(
            f"The command '{command}' is for {os_type} VMs; VM '{vm['name']}' runs {vm_os}.",
            "commandId",
        )
    script = body.get("script") or []
    if not isinstance(script, list) or not all(isinstance(line, str) for line in script):
        raise errors.invalid_parameter("The script must be a list of strings.", "script")
    if power_state(core, vm["id"]) != "running":
        raise errors.conflict(
            "OperationNotAllowed", "The operation requires the VM to be running (or set to run)."
        )
    _state(core).runs.append({"vmId": vm["id"], "commandId": command, "script": list(script)})
    result = _result_for(core, vm["name"])

    def finish() -> Any:
        return output(command.lower(), result)

    return lro_accepted(
        core, req, vm["location"], None, finish, output_in_status=True, location_body=True
    )


def register(core: Core) -> None:
    """Add POST {vm}/runCommand."""
    core.router.add("POST", RG + "/virtualMachines/{vm}/runCommand", lambda req: _run(core, req))
