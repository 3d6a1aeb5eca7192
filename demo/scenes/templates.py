"""Scene: a template backed up on every change, then recreated in the DR region during an outage."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

TITLE = "Template DR: every image template backed up, recreated in the DR region on demand"

Say = Callable[[str], None]
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000d1"
PREFIX = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
SUBNET = f"{PREFIX}/net/providers/Microsoft.Network/virtualNetworks/build/subnets/aib"
DR_SUBNET = f"{PREFIX}/net-dr/providers/Microsoft.Network/virtualNetworks/build-dr/subnets/aib"
IDENTITY = f"{PREFIX}/identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib"
DR_IDENTITY = IDENTITY.replace("/identities/", "/identities-dr/").replace("/aib", "/aib-dr")


SETTINGS = {
    "LIFEBOAT_SUBNET_MAP": f"{SUBNET}={DR_SUBNET}",
    "LIFEBOAT_IDENTITY_MAP": f"{IDENTITY}={DR_IDENTITY}",
}


def _short(value: object) -> str:
    """`<resource group>/…/<name>` of an ARM id; anything else unchanged."""
    text = str(value)
    parts = text.split("/")
    if len(parts) > 8 and parts[3].lower() == "resourcegroups":
        return f"{parts[4]}/…/{parts[-1]}"
    return text


def _template(
    name: str, sku: str, image: tuple[str, str] = ("Canonical", "0001-com-ubuntu-server-focal")
) -> Any:
    from tests.support.templates import create_template, template_body, template_id

    tid = template_id(name, "images")
    body = template_body(sku=sku, image=image)
    body["identity"]["userAssignedIdentities"] = {IDENTITY: {}}
    body["properties"]["vmProfile"] = {
        "vmSize": "Standard_D2s_v3",
        "vnetConfig": {"subnetId": SUBNET},
    }
    create_template(tid, body)
    return tid


def _post(route: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    from functions.templates import templates_backup, templates_restore
    from tests.event_samples import http_post

    function = templates_restore if route.endswith("restore") else templates_backup
    response = function(http_post(body, route))
    return int(response.status_code), json.loads(response.get_body())


def _backups(say: Say, tid: Any) -> None:
    from functions.resource_events import on_resource_event
    from tests.support.templates import dr_blobs, template_event, update_tags

    on_resource_event(template_event(tid, "write", "demo-write-1"))
    blobs = dr_blobs()
    say(f"  write event → {len(blobs)} blobs in the DR account:")
    for name in sorted(blobs):
        say(f"    {name}")
    on_resource_event(template_event(tid, "write", "demo-write-1"))
    say(f"  same event redelivered → still {len(dr_blobs())} blobs (unchanged content, no write)")
    update_tags(tid, {"team": "platform", "release": "2030.1"})
    on_resource_event(template_event(tid, "write", "demo-write-2"))
    pointer = next(b for n, b in dr_blobs().items() if n.endswith("latest.json"))
    versions = [n for n in dr_blobs() if "/versions/" in n]
    say(f"  tags changed → {len(versions)} versions; latest.json now names")
    say(f"    {pointer.metadata['contenthash']}")


def _readiness(say: Say) -> None:
    from shared.bootstrap import get_deps
    from shared.templates.status import template_readiness

    say("\nReadiness findings (what /api/status reports):")
    for finding in template_readiness(get_deps()):
        say(f"  {finding.template_id.rsplit('/', 1)[1]}: {finding.code} — {finding.message}")


def _restore(say: Say, arm: Any, tid: Any) -> bool:
    status, dry = _post("templates/restore", {"templateId": str(tid), "dryRun": True})
    say(f"\nPOST /api/templates/restore dryRun → {status}; the changes it would make:")
    for change in dry["changes"]:
        say(f"  {change['path']}: {_short(change['from'])} → {_short(change['to'])}")
    arm.faults.region_down("eastus")
    say("\nThe primary region eastus goes down (every ARM call there answers 503).")
    answers = [_post("templates/restore", {"templateId": str(tid)}) for _ in range(3)]
    status, accepted = answers[0]
    say(f"POST /api/templates/restore three times → {[s for s, _ in answers]}, one job:")
    say(f"  {accepted['status_url']}")
    job = _finish(arm, accepted["job_id"])
    data = job.data
    say(f"  job {job.state.value}: {data.get('outcome')} {_short(data.get('targetId'))}")
    say(f"  ({data.get('provisioningState')})")
    puts = arm.log.count("PUT", "ubuntu-web-dr-westus")
    one_job = len({a["job_id"] for _, a in answers}) == 1
    say(f"PUTs of the DR template: {puts}")
    return (status, one_job, data.get("outcome"), puts) == (202, True, "created", 1)


def _finish(arm: Any, job_id: str) -> Any:
    """Run the job backbone (the queue-triggered worker) until idle; return the job."""
    from devtools.local_driver import local_driver
    from shared.bootstrap import get_deps

    with local_driver(clock=arm.clock.now, advance=arm.clock.advance) as driver:
        driver.run()
    return get_deps().jobs.get(job_id)


def run(say: Say) -> bool:
    """Back a template up on events, show readiness, restore it during an outage."""
    import function_app  # noqa: F401  (the app as the host loads it: blueprints, handlers)
    from emulator.stack import local_azure

    with local_azure(SUBSCRIPTION, SETTINGS) as local:
        arm = local.arm
        tid = _template("ubuntu-web", "20_04-lts-gen2")
        _template("legacy-web", "18.04-LTS", ("Canonical", "UbuntuServer"))
        say("Two templates in eastus: ubuntu-web (gen 2) and legacy-web (gen 1, never backed up).")
        say("\nEvent Grid → on_resource_event (route template_changed):")
        _backups(say, tid)
        _readiness(say)
        ok = _restore(say, arm, tid)
    return ok
