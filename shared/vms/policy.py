"""Opt-in tags → a typed protection policy, or findings naming the tag and value at fault."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from shared.vms.findings import Finding, FindingCode
from shared.vms.schedule import Schedule, ScheduleError, parse_schedule

_TRUE = frozenset({"true", "on"})
_FALSE = frozenset({"false", "off"})
# Azure refuses restore points more often than this (crash-consistent minimum interval).
RESTORE_POINT_MIN_INTERVAL = timedelta(hours=1)


class Mode(StrEnum):
    """How a VM's disks are captured (`lifeboat-mode`)."""

    SNAPSHOT = "snapshot"
    RESTORE_POINT = "restore-point"
    CLEAN = "clean"


@dataclass(frozen=True)
class TagNames:
    """The tag names Lifeboat reads on a VM (the first three come from Settings)."""

    protect: str = "lifeboat-protect"
    mode: str = "lifeboat-mode"
    schedule: str = "lifeboat-schedule"
    group: str = "lifeboat-group"
    tier: str = "lifeboat-tier"
    keep_primary: str = "lifeboat-keep-primary"
    keep_dr: str = "lifeboat-keep-dr"


@dataclass(frozen=True)
class PolicyDefaults:
    """What applies when a tag is absent, and the switches that gate modes."""

    schedule: str = "PT24H"
    keep_primary: int = 2
    keep_dr: int = 7
    max_keep: int = 450  # Azure keeps at most 500 incremental snapshots per disk
    min_interval: timedelta = timedelta(minutes=15)
    restore_point_copy_enabled: bool = False  # cross-region restore-point copy is a preview


@dataclass(frozen=True)
class ProtectionPolicy:
    """What one tagged VM asked for, validated."""

    vm_id: str
    mode: Mode
    schedule: Schedule
    keep_primary: int
    keep_dr: int
    group: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class PolicyResult:
    """The outcome of reading one VM's tags.

    `policy` is None when the VM did not opt in (`findings` empty) or when a tag is invalid
    (`findings` says which): the VM is then skipped, visibly.
    """

    policy: ProtectionPolicy | None
    findings: tuple[Finding, ...] = ()

    @property
    def opted_in(self) -> bool:
        """True when the VM asked to be protected (valid or not)."""
        return self.policy is not None or bool(self.findings)


def _lookup(tags: Mapping[str, str], name: str) -> str | None:
    """Tag names are case-insensitive in Azure; values keep their case."""
    wanted = name.lower()
    for key, value in tags.items():
        if key.lower() == wanted:
            return str(value).strip()
    return None


class _Reader:
    """Reads tags of one VM, collecting a finding per bad value instead of raising."""

    def __init__(self, vm_id: str, tags: Mapping[str, str]) -> None:
        self.vm_id = vm_id
        self.tags = tags
        self.findings: list[Finding] = []

    def get(self, name: str) -> str | None:
        value = _lookup(self.tags, name)
        return value or None

    def bad(
        self, tag: str, value: str, why: str, code: FindingCode = FindingCode.INVALID_TAG
    ) -> None:
        message = f"tag {tag}={value!r}: {why}"
        self.findings.append(Finding(code, self.vm_id, message, tag, value))

    def count(self, tag: str, default: int, maximum: int) -> int:
        value = self.get(tag)
        if value is None:
            return default
        if not value.isdigit() or not 1 <= int(value) <= maximum:
            self.bad(tag, value, f"expected a whole number from 1 to {maximum}")
            return default
        return int(value)


def _mode(reader: _Reader, names: TagNames, defaults: PolicyDefaults) -> Mode:
    value = reader.get(names.mode)
    if value is None:
        return Mode.SNAPSHOT
    try:
        mode = Mode(value.lower())
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        reader.bad(names.mode, value, f"expected one of {allowed}")
        return Mode.SNAPSHOT
    if mode is Mode.RESTORE_POINT and not defaults.restore_point_copy_enabled:
        why = "restore-point copy across regions is a preview feature and is switched off"
        reader.bad(names.mode, value, why, FindingCode.MODE_DISABLED)
    return mode


def _schedule(
    reader: _Reader, names: TagNames, defaults: PolicyDefaults, mode: Mode
) -> Schedule | None:
    value = reader.get(names.schedule)
    text = value if value is not None else defaults.schedule
    try:
        schedule = parse_schedule(text)
    except ScheduleError as exc:
        reader.bad(names.schedule, text, str(exc))
        return None
    floor = defaults.min_interval
    if mode is Mode.RESTORE_POINT:
        floor = max(floor, RESTORE_POINT_MIN_INTERVAL)
    if schedule.shortest_gap() < floor:
        why = f"captures would be less than {_minutes(floor)} minutes apart"
        reader.bad(names.schedule, text, why, FindingCode.SCHEDULE_TOO_FREQUENT)
    return schedule


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def read_policy(
    vm_id: str,
    tags: Mapping[str, str],
    names: TagNames | None = None,
    defaults: PolicyDefaults | None = None,
) -> PolicyResult:
    """Return the VM's protection policy, nothing (not opted in), or the findings that stop it.

    Never raises for a tag value: every invalid value is a Finding naming the tag and value.
    """
    names = names or TagNames()
    defaults = defaults or PolicyDefaults()
    reader = _Reader(vm_id, tags)
    protect = reader.get(names.protect)
    if protect is None or protect.lower() in _FALSE:
        return PolicyResult(None)
    if protect.lower() not in _TRUE:
        reader.bad(names.protect, protect, "expected true or on (or false/off to opt out)")
        return PolicyResult(None, tuple(reader.findings))
    mode = _mode(reader, names, defaults)
    schedule = _schedule(reader, names, defaults, mode)
    keep_primary = reader.count(names.keep_primary, defaults.keep_primary, defaults.max_keep)
    keep_dr = reader.count(names.keep_dr, defaults.keep_dr, defaults.max_keep)
    if reader.findings or schedule is None:
        return PolicyResult(None, tuple(reader.findings))
    policy = ProtectionPolicy(
        vm_id=vm_id,
        mode=mode,
        schedule=schedule,
        keep_primary=keep_primary,
        keep_dr=keep_dr,
        group=reader.get(names.group),
        tier=reader.get(names.tier),
    )
    return PolicyResult(policy)
