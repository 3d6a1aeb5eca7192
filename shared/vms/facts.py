"""Typed facts about one VM and its disks, as capture planning reads them (no I/O here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Premium SSD v2 and Ultra snapshots are filled by a background copy: usable only at 100 %.
BACKGROUND_COPY_SKUS = frozenset({"premiumv2_lrs", "ultrassd_lrs"})
# Azure Boost sizes: Intel v6+ and AMD v7+, e.g. Standard_D4s_v6, Standard_E8as_v7.
_SIZE_VERSION = re.compile(r"_v(\d+)$", re.IGNORECASE)
_SIZE_FAMILY = re.compile(r"^(?:standard_|basic_)?([a-z]+)(\d+)([a-z-]*)", re.IGNORECASE)
_INTEL_BOOST_FROM = 6
_AMD_BOOST_FROM = 7


class Caching(StrEnum):
    """A disk's host caching (`caching` on the VM's disk entry)."""

    NONE = "None"
    READ_ONLY = "ReadOnly"
    READ_WRITE = "ReadWrite"


@dataclass(frozen=True)
class SecurityProfile:
    """The VM's security type and UEFI settings (`securityProfile`)."""

    security_type: str = "Standard"
    secure_boot_enabled: bool | None = None
    vtpm_enabled: bool | None = None

    @property
    def keeps_vtpm_state(self) -> bool:
        """True for Trusted Launch and Confidential VMs, whose vTPM state a deallocate resets."""
        return self.security_type.lower() in {"trustedlaunch", "confidentialvm"}


@dataclass(frozen=True)
class VmDisk:
    """One disk as the VM sees it. `lun` is None for the OS disk; `disk_id` None if ephemeral."""

    name: str
    disk_id: str | None
    lun: int | None
    sku: str
    size_gb: int
    caching: Caching = Caching.NONE
    max_shares: int = 1
    ephemeral: bool = False
    write_accelerator: bool = False
    unique_id: str | None = None  # the disk's uniqueId: its snapshots' family key

    @property
    def is_os(self) -> bool:
        """True for the OS disk."""
        return self.lun is None

    @property
    def label(self) -> str:
        """`os` or `lun<N>`: the disk's place in the VM, stable across recoveries."""
        return "os" if self.lun is None else f"lun{self.lun}"

    @property
    def shared(self) -> bool:
        """True when the disk can be attached to several VMs at once (maxShares > 1)."""
        return self.max_shares > 1

    @property
    def background_copy(self) -> bool:
        """True for Premium SSD v2 and Ultra disks, whose snapshots fill in the background."""
        return self.sku.lower() in BACKGROUND_COPY_SKUS


@dataclass(frozen=True)
class VmFacts:
    """What planning needs to know about one VM."""

    vm_id: str
    name: str
    location: str
    size: str
    disks: tuple[VmDisk, ...]
    os_type: str = "Linux"
    hyper_v_generation: str | None = None
    zone: str | None = None
    security: SecurityProfile = SecurityProfile()

    @property
    def data_disks(self) -> tuple[VmDisk, ...]:
        """The data disks (everything but the OS disk)."""
        return tuple(d for d in self.disks if not d.is_os)


def is_azure_boost_size(size: str) -> bool:
    """True for Intel v6+ and AMD v7+ sizes (an `a` after the vCPU count marks AMD).

    Microsoft does not guarantee crash-consistent restore points on these sizes with more than
    one data disk. Sizes with no `_vN` suffix are version 1.
    """
    version_match = _SIZE_VERSION.search(size.strip())
    family = _SIZE_FAMILY.match(size.strip())
    if version_match is None or family is None:
        return False
    version = int(version_match.group(1))
    amd = "a" in family.group(3).lower()
    return version >= (_AMD_BOOST_FROM if amd else _INTEL_BOOST_FROM)
