"""Preflight of one VM against the DR region: size, zone, generation, Trusted Launch, subnets."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from shared.outages.dr_facts import DrRegionFacts, DrSubnet, VmSku
from shared.outages.names import RecoveryNames, resource_id
from shared.outages.plan_model import FindingCode, PlanFinding, PlannedNic
from shared.vms.manifest import ManifestNic, RecoveryManifest

_PREMIUM_SKUS = frozenset({"premium_lrs", "premium_zrs", "premiumv2_lrs", "ultrassd_lrs"})
NIC_TYPE = "Microsoft.Network/networkInterfaces"


@dataclass(frozen=True)
class SizeNeeds:
    """What the recovered VM needs of its size, read from its manifest."""

    generation: str | None
    trusted_launch: bool
    data_disks: int
    premium_io: bool

    @classmethod
    def of(cls, manifest: RecoveryManifest) -> SizeNeeds:
        """Return the needs of the VM a manifest describes."""
        return cls(
            generation=manifest.hyper_v_generation,
            trusted_launch=manifest.security.security_type.lower() == "trustedlaunch",
            data_disks=sum(1 for d in manifest.disks if d.lun is not None),
            premium_io=any(d.sku.lower() in _PREMIUM_SKUS for d in manifest.disks),
        )


def size_problems(sku: VmSku | None, region: str, needs: SizeNeeds) -> tuple[str, ...]:
    """Return why a size cannot host the VM in `region` (empty when it can)."""
    if sku is None or not sku.offered_in(region):
        return ("not offered to this subscription in the DR region",)
    problems = []
    generations = (sku.capability("HyperVGenerations") or "V1").upper().split(",")
    if needs.generation and needs.generation.upper() not in generations:
        problems.append(f"does not run Hyper-V generation {needs.generation}")
    if needs.trusted_launch and (sku.capability("TrustedLaunchDisabled") or "").lower() == "true":
        problems.append("cannot run Trusted Launch, which the OS disk requires")
    max_disks = sku.capability("MaxDataDiskCount")
    if max_disks is not None and max_disks.isdigit() and needs.data_disks > int(max_disks):
        problems.append(f"takes at most {max_disks} data disks, the VM has {needs.data_disks}")
    if needs.premium_io and (sku.capability("PremiumIO") or "").lower() != "true":
        problems.append("does not support the VM's premium disks")
    return tuple(problems)


@dataclass(frozen=True)
class SizeChoice:
    """The size and zone the recovered VM gets, and the findings that led there."""

    size: str | None
    zone: str | None
    findings: tuple[PlanFinding, ...]


def choose_size(
    manifest: RecoveryManifest, facts: DrRegionFacts, fallbacks: Mapping[str, tuple[str, ...]]
) -> SizeChoice:
    """Return the VM's own size when the DR region can host it, else the first fallback that can.

    The zone is kept when the chosen size is offered there, else the VM is recovered regional
    (zone numbers are per subscription, so the same number is the closest match we can make).
    """
    needs = SizeNeeds.of(manifest)
    subject = manifest.vm_id
    wanted = manifest.vm_size
    own = size_problems(facts.sku(wanted), facts.region, needs)
    candidates = [wanted, *_fallbacks_of(fallbacks, wanted)]
    chosen = next(
        (c for c in candidates if not size_problems(facts.sku(c), facts.region, needs)), None
    )
    findings = []
    if chosen is None:
        why = "; ".join(own)
        msg = f"{wanted} {why}, and no fallback size can host the VM"
        findings.append(PlanFinding(FindingCode.SIZE_UNAVAILABLE, subject, msg, True))
        return SizeChoice(None, None, tuple(findings))
    if chosen != wanted:
        msg = f"{wanted} {'; '.join(own)}: recovering as {chosen}"
        findings.append(PlanFinding(FindingCode.SIZE_FALLBACK, subject, msg, False))
    zone = manifest.zone
    sku = facts.sku(chosen)
    if zone is not None and sku is not None and not sku.zone_offered(facts.region, zone):
        msg = f"{chosen} is not offered in zone {zone} of {facts.region}: recovering regional"
        findings.append(PlanFinding(FindingCode.ZONE_UNAVAILABLE, subject, msg, False))
        zone = None
    return SizeChoice(chosen, zone, tuple(findings))


def _fallbacks_of(fallbacks: Mapping[str, tuple[str, ...]], size: str) -> tuple[str, ...]:
    return next((v for k, v in fallbacks.items() if k.lower() == size.lower()), ())


def _reserved(subnet: DrSubnet, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Azure keeps the network address, .1 (gateway), .2 and .3 (DNS) and the broadcast address.
    net = subnet.network()
    if net.version != 4:
        return False
    offset = int(ip) - int(net.network_address)
    return offset < 4 or ip == net.broadcast_address


def _static_problem(subnet: DrSubnet, address: str, claimed: set[str]) -> FindingCode | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return FindingCode.STATIC_IP_OUTSIDE_SUBNET
    if ip not in subnet.network() or _reserved(subnet, ip):
        return FindingCode.STATIC_IP_OUTSIDE_SUBNET
    if address in subnet.used_ips or address in claimed:
        return FindingCode.STATIC_IP_TAKEN
    return None


def _lookup(subnet_map: Mapping[str, str], subnet_id: str) -> str | None:
    return next((v for k, v in subnet_map.items() if k.lower() == subnet_id.lower()), None)


@dataclass(frozen=True)
class NicTarget:
    """Where recovered NICs go: a subnet map into the DR region's (or a drill's) subnets."""

    subnet_map: Mapping[str, str]
    facts: DrRegionFacts
    resource_group: str


def plan_nic(
    index: int,
    nic: ManifestNic,
    names: RecoveryNames,
    target: NicTarget,
    claimed: set[str],
    *,
    primary: bool,
) -> tuple[PlannedNic | None, tuple[PlanFinding, ...]]:
    """Return the NIC to create for one source NIC (None when it cannot be placed) and findings.

    A static address outside the DR subnet, reserved by Azure, already used there or claimed
    by an earlier NIC of the plan falls back to a dynamic address, with a finding. `claimed`
    gains the static addresses this NIC keeps.
    """
    subject = names.vm_id
    mapped = _lookup(target.subnet_map, nic.subnet_id)
    if mapped is None:
        msg = f"subnet {nic.subnet_id} has no entry in the subnet map"
        return None, (PlanFinding(FindingCode.SUBNET_UNMAPPED, subject, msg, True),)
    subnet = target.facts.subnet(mapped)
    if subnet is None:
        msg = f"mapped subnet {mapped} is not known in {target.facts.region}"
        return None, (PlanFinding(FindingCode.SUBNET_NOT_IN_DR, subject, msg, True),)
    allocation = nic.allocation
    address = nic.private_ip if allocation == "Static" else None
    findings: list[PlanFinding] = []
    if address is not None:
        problem = _static_problem(subnet, address, claimed)
        if problem is not None:
            msg = f"static address {address} cannot be kept in {subnet.prefix}: using a dynamic one"
            findings.append(PlanFinding(problem, subject, msg, False))
            allocation, address = "Dynamic", None
        else:
            claimed.add(address)
    name = names.nic(index)
    nic_id = resource_id(names.subscription(), target.resource_group, NIC_TYPE, name)
    planned = PlannedNic(
        index=index,
        name=name,
        resource_id=nic_id,
        subnet_id=subnet.subnet_id,
        allocation=allocation,
        private_ip=address,
        primary=primary,
        accelerated_networking=nic.accelerated_networking,
    )
    return planned, tuple(findings)
