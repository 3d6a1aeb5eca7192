"""Image Builder build runs: a template's lastRunStatus, distribute targets and run outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.azure import image_templates, resource_graph
from shared.azure.arm_calls import as_json

if TYPE_CHECKING:
    from shared.azure.clients import AzureClients

ACTIONS: tuple[str, ...] = (
    "Microsoft.VirtualMachineImages/imageTemplates/read",
    "Microsoft.VirtualMachineImages/imageTemplates/runOutputs/read",
    *resource_graph.ACTIONS,
)

# While a build runs, Image Builder reports endTime as the zero date.
_ZERO_YEAR = 1
_STATES = {
    s.lower(): s
    for s in ("Running", "Canceling", "Succeeded", "PartiallySucceeded", "Failed", "Canceled")
}
TERMINAL_STATES = frozenset({"Succeeded", "PartiallySucceeded", "Failed", "Canceled"})

_BUILDS_QUERY = (
    "resources"
    " | where type =~ 'microsoft.virtualmachineimages/imagetemplates'"
    " | project id, location, runState = tostring(properties.lastRunStatus.runState),"
    " startTime = tostring(properties.lastRunStatus.startTime),"
    " endTime = tostring(properties.lastRunStatus.endTime)"
    " | order by id asc"
)


@dataclass(frozen=True)
class DistributeTarget:
    """One `distribute[]` entry: its type (ManagedImage|SharedImage|VHD) and run output name."""

    kind: str
    run_output_name: str


@dataclass(frozen=True)
class BuildRun:
    """A template's latest build: state (canonical case) and times; state None if never run."""

    template_id: ResourceId
    location: str
    run_state: str | None
    run_sub_state: str | None = None
    message: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    distribute: tuple[DistributeTarget, ...] = ()

    @property
    def finished(self) -> bool:
        """True when the run reached a terminal state."""
        return self.run_state in TERMINAL_STATES


@dataclass(frozen=True)
class RunOutput:
    """One run output: the artifact a distribute target produced."""

    name: str
    artifact_id: str | None
    artifact_uri: str | None
    provisioning_state: str


def parse_time(value: Any) -> datetime | None:
    """Return an aware datetime from ARM's time string (None for absent or the zero date)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        # ARM sends 7 fractional digits; Python 3.11 accepts at most 6.
        head, dot, tail = text.partition(".")
        if dot:
            digits = "".join(c for c in tail if c.isdigit())
            text = f"{head}.{digits[:6]}{tail[len(digits) :]}"
        parsed = datetime.fromisoformat(text)
    else:
        return None
    if parsed.year <= _ZERO_YEAR:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def canonical_state(value: Any) -> str | None:
    """Return the run state in canonical case (early API versions used lower case)."""
    return _STATES.get(str(value).lower()) if value else None


def parse_build(body: Mapping[str, Any]) -> BuildRun:
    """Return the BuildRun of a template's ARM JSON."""
    props = body.get("properties") or {}
    status = props.get("lastRunStatus") or {}
    distribute = tuple(
        DistributeTarget(str(d.get("type", "")), str(d.get("runOutputName", "")))
        for d in props.get("distribute") or ()
        if isinstance(d, Mapping)
    )
    return BuildRun(
        template_id=ResourceId.parse(body.get("id"), "imageTemplate.id"),
        location=str(body.get("location") or "").replace(" ", "").lower(),
        run_state=canonical_state(status.get("runState")),
        run_sub_state=status.get("runSubState"),
        message=str(status.get("message") or ""),
        start_time=parse_time(status.get("startTime")),
        end_time=parse_time(status.get("endTime")),
        distribute=distribute,
    )


def parse_run_output(body: Mapping[str, Any]) -> RunOutput:
    """Return the RunOutput of a runOutputs ARM JSON body."""
    props = body.get("properties") or {}
    return RunOutput(
        name=str(body.get("name") or ""),
        artifact_id=props.get("artifactId"),
        artifact_uri=props.get("artifactUri"),
        provisioning_state=str(props.get("provisioningState") or ""),
    )


def run_json(run: BuildRun) -> dict[str, Any]:
    """Return the ARM JSON that parse_build reads back as `run` (its status, distribute)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    status = {
        "runState": run.run_state,
        "runSubState": run.run_sub_state,
        "message": run.message,
        "startTime": iso(run.start_time),
        "endTime": iso(run.end_time),
    }
    distribute = [{"type": d.kind, "runOutputName": d.run_output_name} for d in run.distribute]
    return {
        "id": str(run.template_id),
        "location": run.location,
        "properties": {"lastRunStatus": status, "distribute": distribute},
    }


def get_build(clients: AzureClients, template_id: ResourceId) -> BuildRun | None:
    """Return the template's latest build, or None when the template does not exist."""
    body = image_templates.get_image_template(clients, template_id)
    return parse_build(body) if body else None


def list_run_outputs(clients: AzureClients, template_id: ResourceId) -> tuple[RunOutput, ...]:
    """Return the run outputs of the template's latest build (all pages)."""
    ops = clients.image_builder(template_id.subscription).virtual_machine_image_templates
    pages = ops.list_run_outputs(template_id.resource_group or "", template_id.name)
    return tuple(parse_run_output(as_json(item)) for item in pages)


def get_run_output(clients: AzureClients, run_output_id: ResourceId) -> RunOutput | None:
    """Return one run output, or None when it does not exist."""
    from shared.azure.arm_calls import missing_is_none

    ops = clients.image_builder(run_output_id.subscription).virtual_machine_image_templates
    rg, (template, name) = run_output_id.resource_group or "", run_output_id.names[:2]
    body = missing_is_none(lambda: as_json(ops.get_run_output(rg, template, name)))
    return parse_run_output(body) if body else None


def list_builds(clients: AzureClients, subscriptions: tuple[str, ...]) -> list[BuildRun]:
    """Return every template's latest build state in `subscriptions`, via Resource Graph."""
    rows = resource_graph.query_resources(clients, _BUILDS_QUERY, subscriptions)
    return [
        BuildRun(
            template_id=ResourceId.parse(row.get("id"), "resourceGraph.id"),
            location=str(row.get("location") or "").replace(" ", "").lower(),
            run_state=canonical_state(row.get("runState")),
            start_time=parse_time(row.get("startTime")),
            end_time=parse_time(row.get("endTime")),
        )
        for row in rows
    ]
