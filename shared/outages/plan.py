"""Builds the DR plan of an incident (or a drill) from what is at risk and the DR-region facts."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from shared.arm_id import ResourceId
from shared.outages.dr_facts import DrRegionFacts
from shared.outages.inventory import DrImageRecord, ProtectedVm, TemplateBackup
from shared.outages.matching import Exposure, ItemKind
from shared.outages.names import RecoveryNames, check_drill_id, plan_id, resource_id
from shared.outages.plan_model import (
    DrPlan,
    FindingCode,
    ImageRecovery,
    PlanFinding,
    PlanGroup,
    PlanItem,
    PlanKind,
    PlannedDisk,
    PlannedNic,
    PlannedVm,
    TemplateRecovery,
    VmRecovery,
)
from shared.outages.preflight import NicTarget, choose_size, plan_nic
from shared.templates.restore_model import dr_name, dr_template_name
from shared.vms.manifest import RecoveryManifest
from shared.vms.policy import TagNames

DISK_TYPE = "Microsoft.Compute/disks"
VM_TYPE = "Microsoft.Compute/virtualMachines"
TEMPLATE_TYPE = "Microsoft.VirtualMachineImages/imageTemplates"
_TEMPLATE_NAME_LIMIT = 64
UNGROUPED = "vms"


@dataclass(frozen=True)
class Durations:
    """Expected seconds of each recovery write, for plan estimates (measured figures go here)."""

    disk: float = 60.0
    nic: float = 20.0
    vm: float = 120.0
    template: float = 60.0
    image: float = 5.0

    @property
    def vm_item(self) -> float:
        """One VM: its disks (in parallel), then its NICs, then the VM."""
        return self.disk + self.nic + self.vm


@dataclass(frozen=True)
class PlanSettings:
    """Settings that shape a plan (passed in; the app's Settings will carry them)."""

    dr_region: str
    resource_group: str
    """The DR resource group recovered resources are created in."""
    subnet_map: Mapping[str, str] = field(default_factory=dict)
    fallback_sizes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    durations: Durations = Durations()
    concurrent_vm_creates: int = 450
    """Cap on VM creates in flight per (subscription, DR region): LIFEBOAT_VM_CREATE_CONCURRENCY's
    default, which plan execution applies."""
    tag_names: TagNames = field(default_factory=TagNames)


@dataclass(frozen=True)
class DrillTarget:
    """Where a drill recovers to: its own resource group and an isolated network."""

    drill_id: str
    resource_group: str
    subnet_map: Mapping[str, str]
    """Production source subnet id → drill subnet id (names mirror the production map)."""


def _rpo(as_of: datetime, point: datetime | None) -> float | None:
    return None if point is None else max(0.0, (as_of - point).total_seconds())


def _newest_in(vm: ProtectedVm, dr_region: str) -> RecoveryManifest | None:
    done = [
        m
        for m in vm.manifests
        if m.copies_completed_at is not None and m.dr_region.lower() == dr_region.lower()
    ]
    return max(done, key=lambda m: (m.captured_at, m.set_id), default=None)


def _disks(
    manifest: RecoveryManifest, names: RecoveryNames, group: str, zone: str | None
) -> tuple[PlannedDisk, ...]:
    out = []
    for disk in sorted(manifest.disks, key=lambda d: -1 if d.lun is None else d.lun):
        label = "os" if disk.lun is None else f"lun{disk.lun}"
        name = names.disk(label)
        source = disk.dr_snapshot_id or disk.dr_disk_restore_point_id or ""
        out.append(
            PlannedDisk(
                label=label,
                lun=disk.lun,
                name=name,
                resource_id=resource_id(names.subscription(), group, DISK_TYPE, name),
                sku=disk.sku,
                caching=disk.caching,
                source_id=source,
                zone=zone,
            )
        )
    return tuple(out)


@dataclass
class _Builder:
    settings: PlanSettings
    facts: DrRegionFacts
    as_of: datetime
    drill: DrillTarget | None
    claimed: set[str] = field(default_factory=set)

    @property
    def group(self) -> str:
        return self.drill.resource_group if self.drill else self.settings.resource_group

    def nic_target(self) -> NicTarget:
        subnet_map = self.drill.subnet_map if self.drill else self.settings.subnet_map
        return NicTarget(subnet_map, self.facts, self.group)

    def vm_item(self, vm: ProtectedVm) -> PlanItem:
        tier = vm.tier(self.settings.tag_names)
        subscription = ResourceId.parse(vm.vm_id, "vmId").subscription
        item = partial(
            PlanItem,
            kind=ItemKind.VM,
            subject=vm.vm_id,
            region=vm.region,
            tier=tier,
            subscription=subscription,
        )
        manifest = _newest_in(vm, self.settings.dr_region)
        expected = self.settings.durations.vm_item
        if manifest is None:
            msg = f"no capture set of this VM has completed its copy to {self.settings.dr_region}"
            finding = PlanFinding(FindingCode.NO_COMPLETE_COPY, vm.vm_id, msg, True)
            return item(
                source="",
                rpo_seconds=None,
                expected_seconds=expected,
                findings=(finding,),
            )
        drill_id = self.drill.drill_id if self.drill else None
        names = RecoveryNames(vm.vm_id, manifest.vm_name, manifest.os_type, drill_id)
        choice = choose_size(manifest, self.facts, self.settings.fallback_sizes)
        nics, nic_findings = self._nics(manifest, names)
        findings = choice.findings + nic_findings
        if not nics:
            msg = "the manifest records no NIC to recover"
            findings += (PlanFinding(FindingCode.NO_NIC, vm.vm_id, msg, True),)
        vm_name = names.vm()
        planned_vm = PlannedVm(
            name=vm_name,
            resource_id=resource_id(subscription, self.group, VM_TYPE, vm_name),
            size=choice.size or manifest.vm_size,
            os_type=manifest.os_type,
            security_type=manifest.security.security_type,
            secure_boot_enabled=manifest.security.secure_boot_enabled,
            vtpm_enabled=manifest.security.vtpm_enabled,
            zone=choice.zone,
        )
        recovery = VmRecovery(
            set_id=manifest.set_id,
            recovery_point_at=manifest.captured_at,
            disks=_disks(manifest, names, self.group, choice.zone),
            nics=nics,
            vm=planned_vm,
        )
        return item(
            source=manifest.set_id,
            rpo_seconds=_rpo(self.as_of, manifest.captured_at),
            expected_seconds=expected,
            findings=findings,
            vm=recovery,
        )

    def _nics(
        self, manifest: RecoveryManifest, names: RecoveryNames
    ) -> tuple[tuple[PlannedNic, ...], tuple[PlanFinding, ...]]:
        primary = next((i for i, n in enumerate(manifest.nics) if n.primary), 0)
        planned: list[PlannedNic] = []
        findings: list[PlanFinding] = []
        target = self.nic_target()
        for index, nic in enumerate(manifest.nics):
            one, why = plan_nic(index, nic, names, target, self.claimed, primary=index == primary)
            findings.extend(why)
            if one is not None:
                planned.append(one)
        return tuple(planned), tuple(findings)

    def template_item(self, backup: TemplateBackup) -> PlanItem:
        source = ResourceId.parse(backup.template_id, "templateId")
        region = self.settings.dr_region
        if self.drill is None:
            name = dr_template_name(source, region)
        else:
            mark = f"{region}-{self.drill.drill_id}"
            name = dr_name(source.name, mark, backup.template_id, _TEMPLATE_NAME_LIMIT)
        recovery = TemplateRecovery(
            backup_version=backup.backup_version,
            name=name,
            resource_id=resource_id(source.subscription, self.group, TEMPLATE_TYPE, name),
        )
        return PlanItem(
            kind=ItemKind.TEMPLATE,
            subject=backup.template_id,
            subscription=source.subscription,
            region=backup.region,
            source=backup.backup_version,
            rpo_seconds=_rpo(self.as_of, backup.backed_up_at),
            expected_seconds=self.settings.durations.template,
            template=recovery,
        )

    def image_item(self, image: DrImageRecord) -> PlanItem:
        findings: tuple[PlanFinding, ...] = ()
        if image.dr_image_version_id is None:
            msg = f"no version of this image is complete in the DR gallery in {self.facts.region}"
            findings = (PlanFinding(FindingCode.IMAGE_NOT_IN_DR, image.image_id, msg, True),)
        return PlanItem(
            kind=ItemKind.IMAGE,
            subject=image.image_id,
            subscription=ResourceId.parse(image.image_id, "imageId").subscription,
            region=image.region,
            source=image.dr_image_version_id or "",
            rpo_seconds=_rpo(self.as_of, image.replicated_at),
            expected_seconds=self.settings.durations.image,
            findings=findings,
            image=ImageRecovery(image.dr_image_version_id),
        )


_NATURAL = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """ "2" before "10": groups named by number order as people expect."""
    parts = _NATURAL.split(text.lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _vm_groups(builder: _Builder, vms: tuple[ProtectedVm, ...]) -> list[PlanGroup]:
    by_group: dict[str | None, list[PlanItem]] = {}
    # Sorted by id, so static addresses and names never depend on the order items arrived in.
    for vm in sorted(vms, key=lambda v: v.vm_id.lower()):
        by_group.setdefault(vm.group(builder.settings.tag_names), []).append(builder.vm_item(vm))
    named = sorted((g for g in by_group if g is not None), key=_natural)
    out = [PlanGroup(f"vms:{g}", ItemKind.VM, tuple(by_group[g])) for g in named]
    if None in by_group:
        out.append(PlanGroup(UNGROUPED, ItemKind.VM, tuple(by_group[None])))
    return out


def _group_seconds(group: PlanGroup, cap: int) -> float:
    if not group.items:
        return 0.0
    longest = max(i.expected_seconds for i in group.items)
    if group.kind is not ItemKind.VM:
        return longest
    per_subscription: dict[str, int] = {}
    for item in group.items:
        per_subscription[item.subscription] = per_subscription.get(item.subscription, 0) + 1
    waves = math.ceil(max(per_subscription.values()) / max(cap, 1))
    return longest * waves


def build_plan(
    incident_key: str,
    scope: str,
    exposure: Exposure,
    facts: DrRegionFacts,
    settings: PlanSettings,
    *,
    now: datetime,
    as_of: datetime | None = None,
    drill: DrillTarget | None = None,
) -> DrPlan:
    """Return the DR plan of the items at risk: templates, then images, then VM groups.

    `as_of` is the point RPO is measured to (the incident's impact start; `now` when unknown).
    A drill plan (`drill` given) recovers into the drill's group and network, with names that
    carry the drill id. The same inputs always give the same plan id, names and content.
    """
    if drill is not None:
        check_drill_id(drill.drill_id)
    kind = PlanKind.DRILL if drill else PlanKind.OUTAGE
    key = drill.drill_id if drill else incident_key
    builder = _Builder(settings, facts, as_of or now, drill)
    groups = [
        PlanGroup(
            "templates",
            ItemKind.TEMPLATE,
            tuple(
                map(
                    builder.template_item,
                    sorted(exposure.templates, key=lambda t: t.template_id.lower()),
                )
            ),
        ),
        PlanGroup(
            "images",
            ItemKind.IMAGE,
            tuple(
                map(builder.image_item, sorted(exposure.images, key=lambda i: i.image_id.lower()))
            ),
        ),
        *_vm_groups(builder, exposure.vms),
    ]
    groups = [g for g in groups if g.items]
    findings = tuple(
        PlanFinding(
            FindingCode.DR_REGION_IMPACTED, region, f"the DR region {region} is impacted too", False
        )
        for region in exposure.dr_regions_impacted
    )
    return DrPlan(
        plan_id=plan_id(kind, key, scope),
        kind=kind,
        incident_key=incident_key,
        scope=scope,
        dr_region=settings.dr_region,
        created_at=now,
        groups=tuple(groups),
        expected_seconds=sum(_group_seconds(g, settings.concurrent_vm_creates) for g in groups),
        drill_id=drill.drill_id if drill else None,
        findings=findings,
    )
