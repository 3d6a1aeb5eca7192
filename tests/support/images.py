"""Helpers for the image DR tests (no tests here): an estate, builds, events, the job driver."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import azure.functions as func

from devtools.local_driver import LocalDriver, local_driver
from shared.events import EventType, Operation
from shared.jobs import Registry, StepContext, StepResult
from tests.event_samples import EVENT_GRID_SAMPLES, event_grid_event, load
from tests.plugins.arm import SUBSCRIPTION

if TYPE_CHECKING:
    from emulator.server import ArmEmulator
    from tests.plugins.arm import LifeboatEnv

SUB = SUBSCRIPTION
RG = f"/subscriptions/{SUB}/resourceGroups/images"
COMPUTE = f"{RG}/providers/Microsoft.Compute"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
GALLERY = f"{COMPUTE}/galleries/golden"
DEFINITION = f"{GALLERY}/images/web"
DR_RG = f"/subscriptions/{SUB}/resourceGroups/lifeboat-dr"
ALL_KINDS = ("SharedImage", "ManagedImage", "VHD")
# What Lifeboat creates in the DR resource group for image DR, by type.
DR_TYPES = (
    "Microsoft.Compute/galleries",
    "Microsoft.Compute/galleries/images",
    "Microsoft.Compute/galleries/images/versions",
    "Microsoft.Compute/images",
    "Microsoft.Compute/snapshots",
    "Microsoft.Compute/disks",
)
OUTCOME_TAG = "emulator-run-outcome"


def template_id(name: str) -> str:
    """Return the id of image template `name` in the test resource group."""
    return f"{RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name}"


def _distribute(name: str, kinds: Sequence[str]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    if "SharedImage" in kinds:
        targets.append({
            "type": "SharedImage", "runOutputName": f"{name}-sig", "galleryImageId": DEFINITION,
            "targetRegions": [{"name": "eastus", "replicaCount": 1,
                               "storageAccountType": "Standard_ZRS"}],
        })  # fmt: skip
    if "ManagedImage" in kinds:
        targets.append({
            "type": "ManagedImage", "runOutputName": f"{name}-managed",
            "imageId": f"{COMPUTE}/images/{name}-managed", "location": "eastus",
        })  # fmt: skip
    if "VHD" in kinds:
        targets.append({"type": "VHD", "runOutputName": f"{name}-vhd"})
    return targets


def template(name: str, kinds: Sequence[str] = ALL_KINDS, outcome: str | None = None) -> Any:
    """Return an estate entry for an image template distributing to `kinds`."""
    return {
        "id": template_id(name),
        "location": "eastus",
        "tags": {OUTCOME_TAG: outcome} if outcome else {},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}},
        "properties": {
            "source": {"type": "PlatformImage", "publisher": "Canonical",
                       "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2",
                       "version": "latest"},
            "customize": [{"type": "Shell", "name": "web", "inline": ["echo hi"]}],
            "distribute": _distribute(name, kinds),
            "vmProfile": {"vmSize": "Standard_D2s_v5", "osDiskSizeGB": 30},
        },
    }  # fmt: skip


def estate(*templates: Any) -> dict[str, Any]:
    """Return an estate with the gallery, its image definition, the identity and `templates`."""
    return {
        "resources": [
            {"id": IDENTITY, "location": "eastus"},
            {"id": GALLERY, "location": "eastus", "properties": {}},
            {
                "id": DEFINITION, "location": "eastus",
                "properties": {
                    "osType": "Linux", "osState": "Generalized", "hyperVGeneration": "V2",
                    "identifier": {"publisher": "Contoso", "offer": "web", "sku": "22_04"},
                },
            },
            *templates,
        ]
    }  # fmt: skip


def start_run(env: LifeboatEnv, name: str) -> None:
    """POST the template's run action (the build then runs on the emulated clock)."""
    ops = env.clients.image_builder(SUB).virtual_machine_image_templates
    ops.begin_run("images", name, polling=False)


def build_event(name: str, event_type: str = EventType.RESOURCE_ACTION_SUCCESS) -> Any:
    """Return the raw Event Grid event of the template's run action."""
    raw: dict[str, Any] = copy.deepcopy(load(EVENT_GRID_SAMPLES[0])[0])
    tid = template_id(name)
    raw.update(eventType=event_type, subject=tid, id=f"run-{name}")
    raw["data"].update(
        operationName=Operation.IMAGE_TEMPLATE_RUN,
        resourceUri=tid,
        resourceProvider="Microsoft.VirtualMachineImages",
        subscriptionId=SUB,
        status="Succeeded",
    )
    return raw


def grid_event(raw: Any) -> func.EventGridEvent:
    """Return the trigger object for a raw event."""
    return event_grid_event(raw)


@contextmanager
def driver(arm: ArmEmulator, registry: Registry | None = None) -> Iterator[LocalDriver]:
    """The local job driver over Azurite on the emulator's clock (waits are fast-forwarded)."""
    with local_driver(clock=arm.clock.now, advance=arm.clock.advance, registry=registry) as d:
        yield d


class Killed(KeyboardInterrupt):
    """Stands for the worker process dying (a BaseException: nothing in the app catches it)."""


def killing_registry(kill_after: str, times: int = 1) -> tuple[Registry, list[str]]:
    """A registry with the image kinds whose step `kill_after` dies after doing its work.

    The worker is 'killed' after the step ran (its writes done) and before the backbone
    recorded the result, `times` times; the log lists where it died.
    """
    from shared.features import job_registry
    from shared.images import jobs

    killed: list[str] = []
    registry = Registry()
    features = job_registry()
    for kind_name in (jobs.BUILD_KIND, jobs.REPLICATION_KIND):
        kind = features.get(kind_name)
        steps = [(s.name, _killer(s.name, s.run, kill_after, times, killed)) for s in kind.steps]
        registry.register(kind_name, steps, kind.description)
    return registry, killed


def _killer(
    name: str, run: Callable[[StepContext], StepResult], target: str, times: int, log: list[str]
) -> Callable[[StepContext], StepResult]:
    def step(ctx: StepContext) -> StepResult:
        result = run(ctx)
        if name == target and len(log) < times:
            log.append(f"{ctx.kind}.{name}")
            raise Killed(name)
        return result

    return step


def run_through_kills(d: LocalDriver, limit: int = 20) -> int:
    """Run the driver to idle, restarting after each simulated kill; return the kills."""
    for kills in range(limit):
        try:
            d.run()
        except Killed:
            continue
        return kills
    raise AssertionError("the driver never went idle")


def resources(arm: ArmEmulator, type_: str, scope: str = f"/subscriptions/{SUB}") -> list[Any]:
    """Return the emulator's resources of `type_` under `scope`."""
    return list(arm.state.list(type_, scope))


def writes_to(arm: ArmEmulator, needle: str) -> int:
    """Return how many PUT/PATCH requests (any status below 300) went to paths with `needle`."""
    return sum(1 for e in arm.log.writes() if needle.lower() in e.path.lower() and e.status < 300)
