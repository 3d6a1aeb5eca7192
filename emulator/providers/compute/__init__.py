"""Microsoft.Compute for the ARM emulator: VMs, disks, snapshots, images, VM images."""

from __future__ import annotations

from emulator.core import Core
from emulator.providers.compute import (
    copystart,
    images,
    managed,
    restore_points,
    run_command,
    skus,
    vm_create,
    vm_images,
    vms,
)
from emulator.providers.compute.common import ComputeOptions


def register(core: Core) -> None:
    """Register every Compute route and type hook; options live at core.extensions['compute']."""
    opts = ComputeOptions()
    core.extensions["compute"] = opts
    core.on_reset(opts.reset)
    managed.register(core)
    vms.register(core)
    vm_create.register(core)
    skus.register(core)
    images.register(core)
    restore_points.register(core)
    vm_images.register(core)
    copystart.register(core)
    run_command.register(core)
