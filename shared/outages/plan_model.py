"""The DR plan document: ordered groups of items, each with its source, RPO and findings."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, TypeAdapter
from pydantic.dataclasses import dataclass as model

from shared.outages.documents import DOCUMENT_CONFIG, read_document
from shared.outages.errors import DamagedPlan
from shared.outages.failback_model import FailbackDetail
from shared.outages.matching import ItemKind

PLAN_VERSION: Literal[1] = 1


class PlanKind(StrEnum):
    """A plan for a real outage, or the same plan run as a drill in an isolated network."""

    OUTAGE = "outage"
    DRILL = "drill"
    FAILBACK = "failback"
    """An executed outage plan's incident resolved: protect back, then clean up the DR side."""


class FindingCode(StrEnum):
    """Stable codes of preflight findings (status and notifications branch on these)."""

    NO_COMPLETE_COPY = "no_complete_copy"
    SIZE_FALLBACK = "size_fallback"
    SIZE_UNAVAILABLE = "size_unavailable"
    ZONE_UNAVAILABLE = "zone_unavailable"
    SUBNET_UNMAPPED = "subnet_unmapped"
    SUBNET_NOT_IN_DR = "subnet_not_in_dr"
    STATIC_IP_OUTSIDE_SUBNET = "static_ip_outside_subnet"
    STATIC_IP_TAKEN = "static_ip_taken"
    NO_NIC = "no_nic"
    DR_REGION_IMPACTED = "dr_region_impacted"
    IMAGE_NOT_IN_DR = "image_not_in_dr"


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlanFinding:
    """One preflight finding; a blocking one keeps its item from executing."""

    code: FindingCode
    subject: str
    message: str
    blocking: bool


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlannedDisk:
    """A managed disk recovery creates from a DR copy (createOption Copy / restore point)."""

    label: str
    lun: int | None
    name: str
    resource_id: str
    sku: str
    caching: str
    source_id: str
    """The DR snapshot or disk restore point the disk is created from."""
    zone: str | None = None


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlannedNic:
    """A NIC recovery creates in the mapped DR subnet."""

    index: int
    name: str
    resource_id: str
    subnet_id: str
    allocation: Literal["Static", "Dynamic"]
    private_ip: str | None = None
    primary: bool = False
    accelerated_networking: bool = False


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlannedVm:
    """The VM recovery creates, attaching the planned disks and NICs."""

    name: str
    resource_id: str
    size: str
    os_type: str
    security_type: str
    secure_boot_enabled: bool | None = None
    vtpm_enabled: bool | None = None
    zone: str | None = None


@model(frozen=True, config=DOCUMENT_CONFIG)
class VmRecovery:
    """How one VM is recovered: from which capture set, into which resources."""

    set_id: str
    recovery_point_at: AwareDatetime
    disks: tuple[PlannedDisk, ...]
    nics: tuple[PlannedNic, ...]
    vm: PlannedVm


@model(frozen=True, config=DOCUMENT_CONFIG)
class TemplateRecovery:
    """An image template recreated in the DR region from its backup."""

    backup_version: str
    name: str
    resource_id: str


@model(frozen=True, config=DOCUMENT_CONFIG)
class ImageRecovery:
    """An image made available from the DR gallery (checked, not written)."""

    dr_image_version_id: str | None


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlanItem:
    """One protected item of a plan: its source, achieved RPO, expected duration, findings."""

    kind: ItemKind
    subject: str
    """The protected item's id (VM, template or image id in the primary region)."""
    subscription: str
    region: str
    source: str
    """What it recovers from: a capture set id, a backup version or an image version id."""
    rpo_seconds: float | None
    expected_seconds: float
    findings: tuple[PlanFinding, ...] = ()
    tier: str | None = None
    vm: VmRecovery | None = None
    template: TemplateRecovery | None = None
    image: ImageRecovery | None = None

    def __post_init__(self) -> None:
        details = {ItemKind.VM: self.vm, ItemKind.TEMPLATE: self.template}
        if self.kind in details and details[self.kind] is None and not self.blocked:
            raise ValueError(f"a {self.kind} item needs its {self.kind} details unless blocked")

    @property
    def blocked(self) -> bool:
        """True when a blocking finding keeps the item from executing."""
        return any(f.blocking for f in self.findings)


@model(frozen=True, config=DOCUMENT_CONFIG)
class PlanGroup:
    """One ordered group: every item of group N is done before group N+1 starts."""

    name: str
    kind: ItemKind
    items: tuple[PlanItem, ...]


@model(frozen=True, config=DOCUMENT_CONFIG)
class DrPlan:
    """A DR plan for one incident and scope: pure data, persisted as JSON."""

    plan_id: str
    kind: PlanKind
    incident_key: str
    scope: str
    dr_region: str
    created_at: AwareDatetime
    groups: tuple[PlanGroup, ...]
    expected_seconds: float
    drill_id: str | None = None
    findings: tuple[PlanFinding, ...] = ()
    failback: FailbackDetail | None = None
    """A failback plan's VMs to protect back and DR resources to clean up (None otherwise)."""
    schema_version: Literal[1] = PLAN_VERSION

    @property
    def _omitted(self) -> set[str]:
        # Plans without a failback keep the document they always had.
        return {"failback"} if self.failback is None else set()

    @property
    def items(self) -> tuple[PlanItem, ...]:
        """Every item, in execution order."""
        return tuple(i for g in self.groups for i in g.items)

    @property
    def content_key(self) -> str:
        """The plan without its creation time: equal keys mean a re-plan changed nothing."""
        return _ADAPTER.dump_json(self, exclude={"created_at", *self._omitted}).decode()

    def to_json(self) -> str:
        """Return the plan as a JSON document (camelCase keys, ISO 8601 times)."""
        return _ADAPTER.dump_json(self, by_alias=True, exclude=self._omitted).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> DrPlan:
        """Return the plan in `text`; raise DamagedPlan naming the first bad field."""
        return read_document(_ADAPTER, text, DamagedPlan, "plan")


_ADAPTER = TypeAdapter(DrPlan)
