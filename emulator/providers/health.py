"""Resource Health: VM availability, Service Health events and the ServiceHealthResources table.

Microsoft.ResourceHealth is served globally: its calls keep answering while a region is down.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers import incidents

Body = dict[str, Any]
VMS = "Microsoft.Compute/virtualMachines"
VM_SERVICE = "Virtual Machines"
_VM = (
    "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}"
    "/providers/Microsoft.ResourceHealth/availabilityStatuses/current"
)
_EVENTS = "/subscriptions/{sub}/providers/Microsoft.ResourceHealth/events"
_TICKS_AT_EPOCH = 621355968000000000

_AVAILABLE: Body = {
    "availabilityState": "Available",
    "title": "Available",
    "summary": "There aren't any known Azure platform problems affecting this virtual machine.",
    "reasonChronicity": "Persistent",
    "detailedStatus": "We have not seen any issues with your virtual machine.",
}
_OUTAGE: Body = {
    "availabilityState": "Unavailable",
    "title": "Unavailable",
    "summary": "We're sorry, your virtual machine isn't available because of an Azure service "
    "outage in its region. We're working to restore service as soon as possible.",
    "reasonType": "Unplanned",
    "reasonChronicity": "Transient",
    "context": "Platform Initiated",
    "category": "Unplanned",
}
_CUSTOMER: dict[str, Body] = {
    power: {
        "availabilityState": "Unavailable",
        "title": title,
        "summary": summary,
        "reasonType": "Customer Initiated",
        "reasonChronicity": "Persistent",
        "context": "Customer Initiated",
        "category": "Not Applicable",
    }
    for power, title, summary in (
        (
            "deallocated",
            "Stopped and deallocated",
            "This virtual machine is stopped and deallocated as requested by an authorized "
            "user or process.",
        ),
        (
            "deallocating",
            "Stopping and deallocating",
            "This virtual machine is stopping and deallocating as requested by an authorized "
            "user or process.",
        ),
        (
            "stopped",
            "Stopped",
            "This virtual machine is stopped as requested by an authorized user or process.",
        ),
    )
}


def vm_status(core: Core, vm: Body) -> Body:
    """Return the availabilityStatuses/current body of a stored VM, as of the emulated clock."""
    subscription = vm["id"].split("/")[2]
    power = str(core.store.meta(vm["id"]).get("power", "running"))
    outage = core.faults.is_region_down(vm["location"]) or (
        incidents.affecting(core, vm["location"], VM_SERVICE, subscription) is not None
    )
    state = _OUTAGE if outage else _CUSTOMER.get(power, _AVAILABLE)
    meta = core.store.meta(vm["id"]).setdefault("health", {})
    if meta.get("title") != state["title"]:
        # Resource Health reports when the current state began (the time it was first seen).
        meta.update(title=state["title"], since=core.clock.now())
    props: Body = {
        **state,
        "occuredTime": core.clock.iso(meta["since"]),
        "reportedTime": core.clock.iso(),
    }
    if outage:
        props["recommendedActions"] = [
            {
                "action": "Check the Azure Service Health blade for updates",
                "actionUrl": "<#ServiceHealth>",
                "actionUrlText": "Azure Service Health",
            }
        ]
    return {
        "id": f"{vm['id']}/providers/Microsoft.ResourceHealth/availabilityStatuses/current",
        "name": "current",
        "type": "Microsoft.ResourceHealth/AvailabilityStatuses",
        "location": vm["location"],
        "properties": props,
    }


def _vm_status(core: Core, req: Request) -> Response:
    vm_id = req.path.split("/providers/Microsoft.ResourceHealth", 1)[0]
    vm = core.store.get(vm_id)
    if vm is None:
        raise errors.not_found(vm_id)
    return Response.ok(vm_status(core, vm))


def _visible(core: Core, subscription: str) -> list[incidents.Incident]:
    now = core.clock.now()
    return [
        i
        for i in incidents.registry(core).values()
        if subscription.lower() in i.subscriptions and i.current(now) is not None
    ]


def event_body(core: Core, incident: incidents.Incident, subscription: str) -> Body:
    """Return one Resource Health event (shape of the published Events_ListBySubscriptionId)."""
    props = incidents.event_properties(incident, subscription, core.clock.now(), core.clock.iso)
    return {
        "id": f"/providers/Microsoft.ResourceHealth/events/{incident.tracking_id}",
        "name": incident.tracking_id,
        "type": "/providers/Microsoft.ResourceHealth/events",
        "properties": props,
    }


def _query_start(req: Request) -> datetime | None:
    raw = req.arg("queryStartTime")
    if not raw:
        return None
    for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise errors.invalid_parameter(f"The queryStartTime '{raw}' is not a date.", "queryStartTime")


def _events(core: Core, req: Request) -> Response:
    if req.arg("$filter"):
        raise errors.bad_request(
            "UnsupportedByEmulator", "The local ARM emulator does not support $filter on events."
        )
    since = _query_start(req)
    subscription = req.params["sub"]
    items = [
        event_body(core, i, subscription)
        for i in _visible(core, subscription)
        if since is None or (i.current(core.clock.now()) or i.stages[0]).at >= since
    ]
    return core.paged(req, items)


def _event(core: Core, req: Request) -> Response:
    subscription = req.params["sub"]
    for incident in _visible(core, subscription):
        if incident.tracking_id.lower() == req.params["tid"].lower():
            return Response.ok(event_body(core, incident, subscription))
    raise errors.not_found(req.path)


def _ticks(moment: datetime) -> int:
    """.NET ticks: ServiceHealthResources keeps times so `todatetime(tolong(x))` reads them."""
    return _TICKS_AT_EPOCH + int(moment.timestamp() * 10_000_000)


def service_health_rows(core: Core) -> list[Body]:
    """Return the ServiceHealthResources rows: one event per subscription + impacted VMs."""
    rows: list[Body] = []
    now = core.clock.now()
    for incident in incidents.registry(core).values():
        if incident.current(now) is None:
            continue
        for subscription in incident.subscriptions:
            rows.append(_event_row(core, incident, subscription))
            rows.extend(_impacted_rows(core, incident, subscription))
    return rows


def _event_row(core: Core, incident: incidents.Incident, subscription: str) -> Body:
    props = incidents.event_properties(incident, subscription, core.clock.now(), core.clock.iso)
    mitigated = incident.mitigated_at()
    stage = incident.current(core.clock.now())
    last = stage.at if stage else incident.start
    return _row(
        f"/subscriptions/{subscription}/providers/Microsoft.ResourceHealth/events/"
        f"{incident.tracking_id}",
        incident.tracking_id,
        "microsoft.resourcehealth/events",
        subscription,
        {
            "EventType": "ServiceIssue",
            "EventSource": "ServiceHealth",
            "Status": props["status"],
            "Stage": stage.stage if stage else "Active",
            "Title": incident.title,
            "Summary": props["summary"],
            "TrackingId": incident.tracking_id,
            "Priority": props["priority"],
            "Level": props["level"],
            "ImpactStartTime": _ticks(incident.start),
            "ImpactMitigationTime": _ticks(mitigated) if mitigated else None,
            "LastUpdateTime": _ticks(last),
            "Impact": props["impact"],
        },
    )


def _impacted_rows(core: Core, incident: incidents.Incident, subscription: str) -> list[Body]:
    if VM_SERVICE.lower() not in {s.lower() for s in incident.services}:
        return []
    rows = []
    for vm in core.store.list(VMS, f"/subscriptions/{subscription}"):
        if vm["location"] not in incident.regions:
            continue
        name = vm["properties"].get("vmId") or vm["name"]
        rows.append(
            _row(
                f"/subscriptions/{subscription}/providers/Microsoft.ResourceHealth/events/"
                f"{incident.tracking_id}/impactedResources/{name}",
                str(name),
                "microsoft.resourcehealth/events/impactedresources",
                subscription,
                {
                    "targetResourceId": vm["id"],
                    "targetResourceType": VMS,
                    "targetRegion": vm["location"],
                },
            )
        )
    return rows


def _row(rid: str, name: str, type_: str, subscription: str, props: Body) -> Body:
    from emulator.providers.resourcegraph import to_row

    row = to_row({"id": rid, "name": name, "type": type_, "properties": props})
    row["subscriptionId"] = subscription.lower()
    return row


def register(core: Core) -> None:
    """Add the Resource Health routes and the ServiceHealthResources table."""
    core.router.add("GET", _VM, lambda req: _vm_status(core, req))
    core.router.add("GET", _EVENTS, lambda req: _events(core, req))
    core.router.add("GET", _EVENTS + "/{tid}", lambda req: _event(core, req))
    tables = core.extensions.setdefault("resourcegraph.tables", {})
    tables["ServiceHealthResources"] = lambda: service_health_rows(core)
