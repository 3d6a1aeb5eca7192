"""Microsoft.Network for the ARM emulator: virtual networks, subnets, NICs and NSGs."""

from __future__ import annotations

import contextlib
from typing import Any

from emulator.core import Core, Request, Response, errors
from emulator.providers.common import body_location, check_same_location, tags_of
from emulator.providers.network_state import NICS, NSGS, VNETS, Body, NetworkState

RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
SUB = "/subscriptions/{sub}/providers/Microsoft.Network"
NAMESPACE = "Microsoft.Network"
_COLLECTIONS = {VNETS: "virtualNetworks", NICS: "networkInterfaces", NSGS: "networkSecurityGroups"}


def register(core: Core) -> None:
    """Add the network routes and the seed-time normalizers."""
    state = NetworkState(core)
    core.extensions["network"] = state
    for kind, collection in _COLLECTIONS.items():
        item = f"{RG}/{collection}/{{name}}"
        core.router.add("GET", f"{SUB}/{collection}", _list(core, state, kind, by_rg=False))
        core.router.add("GET", f"{RG}/{collection}", _list(core, state, kind, by_rg=True))
        core.router.add("GET", item, _get(core, state, kind))
    subnet = f"{RG}/virtualNetworks/{{vnet}}/subnets/{{subnet}}"
    core.router.add("PUT", f"{RG}/virtualNetworks/{{name}}", lambda r: _put_vnet(core, r))
    core.router.add("GET", f"{RG}/virtualNetworks/{{vnet}}/subnets", lambda r: _subnets(core, r))
    core.router.add("GET", subnet, lambda r: _get_subnet(state, r))
    core.router.add("PUT", subnet, lambda r: _put_subnet(core, state, r))
    core.router.add("PUT", f"{RG}/networkInterfaces/{{name}}", lambda r: _put_nic(core, state, r))
    core.router.add(
        "DELETE", f"{RG}/networkInterfaces/{{name}}", lambda r: _del_nic(core, state, r)
    )
    core.router.add("DELETE", f"{RG}/virtualNetworks/{{name}}", lambda r: _del_vnet(core, state, r))
    core.router.add("PUT", f"{RG}/networkSecurityGroups/{{name}}", lambda r: _put_nsg(core, r))
    core.types.register(VNETS, normalize=lambda body: _vnet_defaults(core, body))
    core.types.register(NSGS, normalize=lambda body: _defaults(core, body))
    core.types.register(NICS, normalize=lambda body: _nic_seed(core, state, body))


def _polls(core: Core) -> int:
    """InProgress polls per operation: Compute's knob (`arm.compute.lro_polls`) when loaded."""
    return int(getattr(core.extensions.get("compute"), "lro_polls", 1))


def _view(state: NetworkState, body: Body) -> Body:
    if body["type"].lower() == NSGS.lower():
        return state.nsg_view(body)
    if body["type"].lower() == VNETS.lower():
        subnets = body.get("properties", {}).get("subnets", [])
        body["properties"]["subnets"] = [state.subnet_view(s["id"]) or s for s in subnets]
    return body


def _get(core: Core, state: NetworkState, kind: str) -> Any:
    def handler(req: Request) -> Response:
        return Response.ok(_view(state, core.store.require(req.resource_id)))

    return handler


def _list(core: Core, state: NetworkState, kind: str, by_rg: bool) -> Any:
    def handler(req: Request) -> Response:
        scope = f"/subscriptions/{req.params['sub']}"
        if by_rg:
            scope += f"/resourceGroups/{req.params['rg']}"
        return core.paged(req, [_view(state, b) for b in core.store.list(kind, scope)])

    return handler


def _accepted(core: Core, req: Request, stored: Body, created: bool) -> Response:
    """Network's PUT answer: 201/200 with the body and Azure-AsyncOperation to poll."""
    op = core.lro.begin(req, stored["location"], namespace=NAMESPACE, polls=_polls(core))
    return Response(201 if created else 200, stored, op.headers(aao=True, location=False))


def _defaults(core: Core, body: Body) -> Body:
    props = body.setdefault("properties", {})
    props["provisioningState"] = "Succeeded"
    props.setdefault("resourceGuid", core.new_guid())
    body["etag"] = f'W/"{core.new_guid()}"'
    return body


def _vnet_defaults(core: Core, body: Body) -> Body:
    _defaults(core, body)
    props = body["properties"]
    props.setdefault("enableDdosProtection", False)
    for subnet in props.setdefault("subnets", []):
        _subnet_defaults(body["id"], subnet)
    return body


def _subnet_defaults(vnet_id: str, subnet: Body) -> Body:
    subnet["id"] = f"{vnet_id}/subnets/{subnet['name']}"
    subnet["type"] = f"{VNETS}/subnets"
    props = subnet.setdefault("properties", {})
    props.pop("ipConfigurations", None)
    props["provisioningState"] = "Succeeded"
    props.setdefault("privateEndpointNetworkPolicies", "Disabled")
    props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
    return subnet


def _incoming(core: Core, req: Request) -> tuple[Body, str, Body | None]:
    """Return (new resource body, location, existing body) of a PUT; 400 on a moved location."""
    body = req.json_object()
    location = body_location(req, body)
    existing = core.store.get(req.resource_id)
    check_same_location(existing, location, req.resource_id)
    resource = {
        "id": req.resource_id,
        "location": location,
        "tags": tags_of(body),
        "properties": dict(body.get("properties") or {}),
    }
    return resource, location, existing


def _put_vnet(core: Core, req: Request) -> Response:
    vnet, location, existing = _incoming(core, req)
    prefixes = vnet["properties"].get("addressSpace", {}).get("addressPrefixes")
    if not prefixes:
        raise errors.bad_request(
            "InvalidRequestFormat",
            "Cannot parse the request. Property 'addressSpace.addressPrefixes' is required.",
        )
    state: NetworkState = core.extensions["network"]
    kept = {s.get("name", "").lower() for s in vnet["properties"].get("subnets", [])}
    for old in (existing or {}).get("properties", {}).get("subnets", []):
        if old["name"].lower() not in kept and state.subnet_in_use(old["id"]):
            raise errors.bad_request(
                "InUseSubnetCannotBeDeleted",
                f"Subnet {old['name']} is in use by NIC ip configurations and cannot be deleted. "
                "In order to delete the subnet, delete all the resources within the subnet.",
            )
    for subnet in vnet["properties"].get("subnets", []):
        _check_subnet(core, state, req.resource_id, location, subnet)
    stored = core.store.put(_vnet_defaults(core, vnet))
    return _accepted(core, req, stored, created=existing is None)


def _check_subnet(
    core: Core, state: NetworkState, vnet_id: str, location: str, subnet: Body
) -> None:
    name = subnet.get("name")
    if not name or not (subnet.get("properties") or {}).get("addressPrefix"):
        raise errors.bad_request(
            "InvalidRequestFormat",
            f"Cannot parse the request. Subnet '{name}' of {vnet_id} needs a name and an "
            "addressPrefix.",
        )
    state.check_nsg(subnet["properties"].get("networkSecurityGroup"), location, vnet_id)


def _subnets(core: Core, req: Request) -> Response:
    vnet = core.store.require(req.resource_id.rsplit("/", 1)[0])
    state: NetworkState = core.extensions["network"]
    subnets = vnet.get("properties", {}).get("subnets", [])
    return core.paged(req, [state.subnet_view(s["id"]) or s for s in subnets])


def _get_subnet(state: NetworkState, req: Request) -> Response:
    subnet = state.subnet_view(req.resource_id)
    if subnet is None:
        raise errors.not_found(req.resource_id)
    return Response.ok(subnet)


def _put_subnet(core: Core, state: NetworkState, req: Request) -> Response:
    body = req.json_object()
    vnet_id = req.resource_id.rsplit("/", 2)[0]
    vnet = core.store.get(vnet_id)
    if vnet is None:
        raise errors.not_found(vnet_id)
    name = req.params["subnet"]
    subnet: Body = {"name": name, "properties": dict(body.get("properties") or {})}
    _check_subnet(core, state, vnet_id, vnet["location"], subnet)
    subnets = [
        s for s in vnet["properties"].get("subnets", []) if s["name"].lower() != name.lower()
    ]
    existed = len(subnets) != len(vnet["properties"].get("subnets", []))
    vnet["properties"]["subnets"] = [*subnets, _subnet_defaults(vnet_id, subnet)]
    core.store.put(vnet)
    op = core.lro.begin(req, vnet["location"], namespace=NAMESPACE, polls=_polls(core))
    view = state.subnet_view(req.resource_id)
    return Response(200 if existed else 201, view, op.headers(aao=True, location=False))


def _put_nic(core: Core, state: NetworkState, req: Request) -> Response:
    nic, location, existing = _incoming(core, req)
    props = nic["properties"]
    # A NIC's VM link is read-only: only VM create/delete change it.
    props.pop("virtualMachine", None)
    if existing and state.nic_user(existing):
        props["virtualMachine"] = existing["properties"]["virtualMachine"]
    previous = {
        c["name"]: c for c in (existing or {}).get("properties", {}).get("ipConfigurations", [])
    }
    configs = [dict(c) for c in props.get("ipConfigurations") or []]
    for cfg in configs:
        old = previous.get(str(cfg.get("name")))
        cfg_props = cfg.setdefault("properties", dict(cfg.get("properties") or {}))
        if old and str(cfg_props.get("privateIPAllocationMethod", "Dynamic")).lower() != "static":
            cfg_props.setdefault("privateIPAddress", old["properties"].get("privateIPAddress"))
    state.check_nic(req.resource_id, location, configs)
    state.check_nsg(props.get("networkSecurityGroup"), location, req.resource_id)
    props["ipConfigurations"] = configs
    stored = core.store.put(_nic_defaults(core, nic))
    return _accepted(core, req, stored, created=existing is None)


def _nic_defaults(core: Core, nic: Body) -> Body:
    _defaults(core, nic)
    props = nic["properties"]
    props.setdefault("dnsSettings", {"dnsServers": [], "appliedDnsServers": []})
    props.setdefault("enableAcceleratedNetworking", False)
    props.setdefault("enableIPForwarding", False)
    props.setdefault("vnetEncryptionSupported", False)
    props.setdefault("nicType", "Standard")
    return nic


def _nic_seed(core: Core, state: NetworkState, nic: Body) -> Body:
    """Seeded NICs get ids and addresses like created ones; a subnet not yet seeded is kept."""
    with contextlib.suppress(errors.ArmError):
        state.check_nic(nic["id"], nic["location"], nic["properties"].get("ipConfigurations", []))
    return _nic_defaults(core, nic)


def _del_nic(core: Core, state: NetworkState, req: Request) -> Response:
    nic = core.store.get(req.resource_id)
    if nic is None:
        return Response.no_content()
    user = state.nic_user(nic)
    if user:
        raise errors.bad_request(
            "NicInUse",
            f"Network Interface {nic['id']} is used by existing resource {user}. In order to "
            "delete the network interface, it must be dissociated from the resource. To learn "
            "more, see aka.ms/deletenic.",
        )
    return _deleting(core, req, nic)


def _deleting(core: Core, req: Request, body: Body) -> Response:
    """202 with Azure-AsyncOperation and Location; the resource is gone when the operation ends."""

    def finish() -> None:
        core.store.delete(req.resource_id)

    op = core.lro.begin(
        req, body["location"], namespace=NAMESPACE, polls=_polls(core), on_done=finish
    )
    return Response(202, None, op.headers(aao=True, location=True))


def _del_vnet(core: Core, state: NetworkState, req: Request) -> Response:
    """DELETE a vnet: 204 when already gone, 400 while a NIC uses one of its subnets, else 202
    and the vnet (with its subnets) is gone when the operation ends."""
    vnet = core.store.get(req.resource_id)
    if vnet is None:
        return Response.no_content()
    for sub in vnet.get("properties", {}).get("subnets", []):
        if state.subnet_in_use(sub["id"]):
            raise errors.bad_request(
                "InUseSubnetCannotBeDeleted",
                f"Subnet {sub.get('name') or sub['id']} is in use by a network interface and "
                "cannot be deleted. In order to delete the subnet, delete all the resources "
                "within the subnet. See aka.ms/deletesubnet.",
            )
    return _deleting(core, req, vnet)


def _put_nsg(core: Core, req: Request) -> Response:
    nsg, _, existing = _incoming(core, req)
    nsg["properties"].pop("networkInterfaces", None)
    nsg["properties"].pop("subnets", None)
    nsg["properties"].setdefault("securityRules", [])
    stored = core.store.put(_defaults(core, nsg))
    return _accepted(core, req, stored, created=existing is None)
