"""Disk attachment: the rules Compute checks before a VM takes a disk, and `managedBy`."""

from __future__ import annotations

from typing import Any

from emulator.core import Core, errors, normalize_location, type_of
from emulator.providers.compute.common import DISKS, Body

TRUSTED_LAUNCH = "TrustedLaunch"


def security_type(profile: Any) -> str:
    """Return the securityType of a VM or disk securityProfile ('' when standard)."""
    value = (profile or {}).get("securityType") if isinstance(profile, dict) else None
    return str(value or "")


class DiskAttachments:
    """Owns `managedBy`: a disk is attached to at most one VM, in its region and zone."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def check(self, vm: Body, entry: Body, target: str) -> Body:
        """Return the managed disk `entry` refers to; raise Compute's error when the VM may
        not attach it (missing, other region, attached elsewhere, other zone)."""
        disk_id = str((entry.get("managedDisk") or {}).get("id") or "")
        if type_of(disk_id).lower() != DISKS.lower():
            raise errors.invalid_parameter(
                f"Required parameter '{target}.managedDisk.id' is missing (null).",
                f"{target}.managedDisk.id",
            )
        disk = self.core.store.get(disk_id if disk_id.startswith("/") else "/" + disk_id)
        if disk is None:
            raise errors.ArmError(
                404,
                "NotFound",
                f"Disk {disk_id.rsplit('/', 1)[-1]} is not found.",
                target=f"{target}.managedDisk.id",
            )
        if normalize_location(disk.get("location", "")) != vm["location"]:
            raise errors.invalid_parameter(
                f"Disk {disk['id']} is in location '{disk.get('location')}'; it cannot be "
                f"attached to a virtual machine in location '{vm['location']}'.",
                f"{target}.managedDisk.id",
            )
        owner = disk.get("managedBy")
        if owner and str(owner).lower() != vm["id"].lower():
            raise errors.ArmError(
                409,
                "ConflictingUserInput",
                f"Cannot attach the disk {disk['name']} to VM {vm['id']} because it is already "
                f"attached to VM {owner}. A disk can be attached to only one VM at a time.",
                target=disk["id"],
            )
        if sorted(disk.get("zones") or []) != sorted(vm.get("zones") or []):
            raise errors.bad_request(
                "BadRequest",
                f"Disk {disk['id']} in zone(s) {disk.get('zones') or []} cannot be attached to "
                f"VM {vm['id']} in zone(s) {vm.get('zones') or []}: a zonal disk can only be "
                "attached to a VM in the same zone, a regional disk only to a regional VM.",
                target=f"{target}.managedDisk.id",
            )
        return disk

    def check_os_security(self, vm: Body, os_disk: Body) -> None:
        """Raise 400 BadRequest when the OS disk's security type is not the VM's (either way)."""
        vm_type = security_type(vm.get("properties", {}).get("securityProfile"))
        disk_type = security_type(os_disk.get("properties", {}).get("securityProfile"))
        if (vm_type == TRUSTED_LAUNCH) != (disk_type == TRUSTED_LAUNCH):
            raise errors.bad_request(
                "BadRequest",
                "Security type of VM is not compatible with the security type of attached OS Disk.",
                target="securityProfile.securityType",
            )

    def attach(self, disk_id: str, vm_id: str) -> None:
        """Set the disk's `managedBy` to the VM."""
        disk = self.core.store.require(disk_id)
        disk["managedBy"] = vm_id
        self.core.store.put(disk)

    def release(self, disk_id: str, delete: bool) -> None:
        """Clear the disk's `managedBy`; delete it when the VM's deleteOption says Delete."""
        disk = self.core.store.get(disk_id)
        if disk is None:
            return
        if delete:
            self.core.store.delete(disk_id)
            return
        disk.pop("managedBy", None)
        self.core.store.put(disk)
