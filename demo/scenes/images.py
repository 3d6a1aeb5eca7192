"""Scene: an Image Builder build completes in the primary region; DR copies appear in the pair."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

TITLE = "Image DR: a finished build replicated to the paired region, step by step"

Say = Callable[[str], None]
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000d2"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/images"
GALLERY = f"{RG}/providers/Microsoft.Compute/galleries/golden"
TEMPLATE = f"{RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
IDENTITY = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
DR_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/lifeboat-dr"
WATCHED = (
    "Microsoft.Compute/galleries",
    "Microsoft.Compute/galleries/images",
    "Microsoft.Compute/galleries/images/versions",
    "Microsoft.Compute/disks",
    "Microsoft.Compute/snapshots",
    "Microsoft.Compute/images",
)


def _estate() -> dict[str, Any]:
    distribute = [
        {"type": "SharedImage", "runOutputName": "web-sig",
         "galleryImageId": f"{GALLERY}/images/web",
         "targetRegions": [{"name": "eastus", "replicaCount": 1}]},
        {"type": "ManagedImage", "runOutputName": "web-managed", "location": "eastus",
         "imageId": f"{RG}/providers/Microsoft.Compute/images/web-managed"},
        {"type": "VHD", "runOutputName": "web-vhd"},
    ]  # fmt: skip
    return {"resources": [
        {"id": IDENTITY, "location": "eastus"},
        {"id": GALLERY, "location": "eastus"},
        {"id": f"{GALLERY}/images/web", "location": "eastus", "properties": {
            "osType": "Linux", "osState": "Generalized", "hyperVGeneration": "V2",
            "identifier": {"publisher": "Contoso", "offer": "web", "sku": "22_04"}}},
        {"id": TEMPLATE, "location": "eastus",
         "identity": {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY: {}}},
         "properties": {"source": {"type": "PlatformImage", "publisher": "Canonical",
                                   "offer": "ubuntu", "sku": "22_04-lts-gen2", "version": "latest"},
                        "distribute": distribute}},
    ]}  # fmt: skip


def _event() -> Any:
    import azure.functions as func

    data: dict[str, object] = {
        "operationName": "Microsoft.VirtualMachineImages/imageTemplates/run/action",
        "status": "Succeeded", "resourceUri": TEMPLATE, "subscriptionId": SUBSCRIPTION,
        "resourceProvider": "Microsoft.VirtualMachineImages",
    }  # fmt: skip
    return func.EventGridEvent(
        id="demo-run", data=data, topic=f"/subscriptions/{SUBSCRIPTION}", subject=TEMPLATE,
        event_type="Microsoft.Resources.ResourceActionSuccess",
        event_time=datetime.now(UTC), data_version="2",
    )  # fmt: skip


def _describe(resource: dict[str, Any]) -> str:
    props = resource.get("properties") or {}
    kind = resource["type"].split("/", 1)[1]
    detail = ""
    if "completionPercent" in props:
        detail = f" CopyStart {props['completionPercent']:.0f}%"
    summary = (props.get("replicationStatus") or {}).get("summary") or []
    if summary:
        detail = " " + ", ".join(f"{s['region']} {s['state']}" for s in summary)
    return f"{kind} {resource['name']} in {resource['location']}{detail}"


class _Watcher:
    """Prints what changed in the DR resource group and in the jobs since the last look."""

    def __init__(self, arm: Any, say: Say) -> None:
        self.arm, self.say = arm, say
        self.start = arm.clock.now()
        self.seen: dict[str, str] = {}

    def _state(self) -> dict[str, str]:
        from shared.bootstrap import get_deps

        state = {_job_name(j): _job(j) for j in get_deps().jobs.list()}
        for type_ in WATCHED:
            for r in self.arm.state.list(type_, DR_RG):
                state[r["id"].lower()] = _describe(r)
        version = self.arm.state.list("Microsoft.Compute/galleries/images/versions", GALLERY)
        for v in version:
            regions = [t["name"] for t in v["properties"]["publishingProfile"]["targetRegions"]]
            state[v["id"].lower()] = f"source version {v['name']} targets {', '.join(regions)}"
        return state

    def __call__(self) -> bool:
        now = self._state()
        minutes = (self.arm.clock.now() - self.start).total_seconds() / 60
        for key, text in now.items():
            if self.seen.get(key) != text:
                label = f"{key}: " if key.startswith("job ") else ""
                self.say(f"  t+{minutes:5.1f} min  {label}{text}")
        for key in self.seen.keys() - now.keys():
            self.say(f"  t+{minutes:5.1f} min  removed: {self.seen[key].split(' in ')[0]}")
        self.seen = now
        return False


def _job_name(job: Any) -> str:
    artifact = (job.data.get("artifact") or {}).get("kind")
    return f"job {job.kind}" + (f" ({artifact})" if artifact else "")


def _job(job: Any) -> str:
    step = job.current_step()
    where = f" at {step.name}" if step else ""
    reason = f" ({step.wait_reason[:70]})" if step and step.wait_reason else ""
    return f"{job.state.value}{where}{reason}"


def run(say: Say) -> bool:
    """Run the scene; return True when every artifact is DR-ready in the paired region."""
    from devtools.local_driver import local_driver
    from emulator.stack import local_azure
    from functions.resource_events import on_resource_event

    with local_azure(SUBSCRIPTION) as local:
        arm = local.arm
        arm.seed(_estate())
        say("A template builds in eastus; its DR region is the pair, westus.")
        ops = local_clients().image_builder(SUBSCRIPTION).virtual_machine_image_templates
        ops.begin_run("images", "web", polling=False)
        say("POST .../imageTemplates/web/run accepted; Event Grid delivers run/action at once.")
        with local_driver(clock=arm.clock.now, advance=arm.clock.advance) as driver:
            on_resource_event(_event())
            driver.run(until=_Watcher(arm, say))
        _dr_artifacts(arm, say)
        return _finish(say)


def local_clients() -> Any:
    """The app's Azure clients (pointed at the emulator)."""
    from shared.bootstrap import get_deps

    return get_deps().clients


def _finish(say: Say) -> bool:
    import azure.functions as func

    from functions.status import status

    request = func.HttpRequest(
        method="GET", url="http://localhost/api/status", headers={},
        params={"templates": "false"}, route_params={}, body=b"",
    )  # fmt: skip
    body = json.loads(status(request).get_body())
    build = body["builds"][0] if body["builds"] else {}
    say("GET /api/status (read from the DR-region storage account):")
    for artifact in build.get("artifacts", []):
        source = artifact["source"]
        shown = source if len(source) <= 64 else "…" + source[-63:]
        say(f"  {artifact['kind']:<13} {artifact['state']:<9} {shown}")
    ready = bool(build.get("dr_ready"))
    newest = build.get("newest_dr_ready_image") or {}
    say(f"  build DR-ready: {ready}; newest DR-ready image built at {newest.get('built_at')}")
    return ready and build.get("artifacts_dr_ready") == 3


def _dr_artifacts(arm: Any, say: Say) -> None:
    say("In the paired region now:")
    for type_ in ("Microsoft.Compute/galleries/images/versions", "Microsoft.Compute/images"):
        for r in arm.state.list(type_, DR_RG):
            if r["location"] == "westus":
                say(f"  {r['type'].split('/', 1)[1]:<28} {r['id'].split('/providers/')[1]}")
    container = local_clients().blob_service("dr").get_container_client("vhd-copies")
    for blob in container.list_blobs():
        say(f"  {'blob (lbdr account)':<28} vhd-copies/{blob.name}")
