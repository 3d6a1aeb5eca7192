"""Compute's own throttling policies for VM operations: token buckets per VM and per region."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from emulator.core import Core, errors, normalize_location

_KEY = "compute.throttle"
MINUTE = 60.0
HOUR = 3600.0

# operation -> Compute's policy (Microsoft Learn "Compute throttling limits": power off and
# start are "Update VM"; deallocate counts as "Delete VM").
POLICIES: dict[str, str] = {
    "create": "PutVM",
    "powerOff": "UpdateVM",
    "start": "UpdateVM",
    "delete": "DeleteVM",
    "deallocate": "DeleteVM",
    "restorePoint": "CreateRestorePoint",
}


@dataclass(frozen=True)
class Limit:
    """A token bucket: `capacity` tokens, refilled at `per_period` tokens every `period` s."""

    capacity: int
    per_period: float
    period: float

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.per_period / self.period


# policy -> (per-VM limit, per-subscription-per-region limit or None)
LIMITS: dict[str, tuple[Limit, Limit | None]] = {
    "PutVM": (Limit(12, 4, MINUTE), Limit(1500, 500, MINUTE)),
    "UpdateVM": (Limit(12, 4, MINUTE), Limit(1500, 500, MINUTE)),
    "DeleteVM": (Limit(12, 4, MINUTE), Limit(1500, 500, MINUTE)),
    # Restore points: 3 creations per hour per VM ("restore points" support matrix).
    "CreateRestorePoint": (Limit(3, 3, HOUR), None),
}


@dataclass
class _Bucket:
    limit: Limit
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(self.limit.capacity, self.tokens + elapsed * self.limit.rate)
        self.stamp = max(now, self.stamp)

    def wait(self) -> int:
        """Whole seconds until one token is back."""
        return max(1, math.ceil((1 - self.tokens) / self.limit.rate))


@dataclass
class VmThrottle:
    """Compute's buckets (on by default, as in Azure); emulated clock unless `real_time`."""

    enabled: bool = True
    real_time: bool = False
    buckets: dict[tuple[str, ...], _Bucket] = field(default_factory=dict)

    def reset(self) -> None:
        """Back to defaults: enabled, emulated clock, full buckets."""
        self.enabled, self.real_time = True, False
        self.buckets.clear()

    def bucket(self, key: tuple[str, ...], limit: Limit, now: float) -> _Bucket:
        """Return the bucket for `key`, full when first used, refilled up to `now`."""
        found = self.buckets.get(key)
        if found is None:
            found = self.buckets[key] = _Bucket(limit, float(limit.capacity), now)
        found.refill(now)
        return found


def state(core: Core) -> VmThrottle:
    """Return the throttle state of this core (created, with its reset hook, on first use)."""
    found: VmThrottle | None = core.extensions.get(_KEY)
    if found is None:
        found = core.extensions[_KEY] = VmThrottle()
        core.on_reset(found.reset)
    return found


def configure(core: Core, enabled: bool = True, *, real_time: bool = False) -> None:
    """Turn Compute's VM buckets on or off; `real_time` refills them with real seconds."""
    throttle = state(core)
    throttle.enabled, throttle.real_time = enabled, real_time
    throttle.buckets.clear()


def throttle_vm_operation(
    ctx: Any, subscription: str, region: str, vm_name: str, operation: str
) -> None:
    """Raise the emulator's 429 error when Compute's bucket for `operation` on this VM is empty."""
    core: Core = ctx
    policy = POLICIES[operation]
    throttle = state(core)
    if not throttle.enabled:
        return
    now = time.monotonic() if throttle.real_time else core.clock.now().timestamp()
    per_vm, per_region = LIMITS[policy]
    sub, location = subscription.lower(), normalize_location(region)
    vm_key = (policy, sub, location, vm_name.lower())
    checks = [(f"{policy}Resource", throttle.bucket(vm_key, per_vm, now))]
    if per_region is not None:
        region_bucket = throttle.bucket((policy, sub, location), per_region, now)
        checks.append((f"{policy}Subscription", region_bucket))
    empty = [(group, bucket) for group, bucket in checks if bucket.tokens < 1]
    if empty:
        raise _throttled(core, empty, checks)
    for _group, bucket in checks:
        bucket.tokens -= 1


def _remaining(checks: list[tuple[str, _Bucket]]) -> str:
    return ",".join(f"Microsoft.Compute/{group};{int(b.tokens)}" for group, b in checks)


def _throttled(
    core: Core, empty: list[tuple[str, _Bucket]], checks: list[tuple[str, _Bucket]]
) -> errors.ArmError:
    """Compute's 429 (shape of the "Troubleshooting throttling errors" page)."""
    group, bucket = max(empty, key=lambda item: item[1].wait())
    wait = bucket.wait()
    start = core.clock.now()
    detail = {
        "operationGroup": group,
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(seconds=wait)).isoformat(),
        "allowedRequestCount": bucket.limit.capacity,
        "measuredRequestCount": bucket.limit.capacity + 1,
    }
    return errors.ArmError(
        429,
        "OperationNotAllowed",
        "The server rejected the request because too many requests have been received for "
        "this subscription.",
        details=[{"code": "TooManyRequests", "target": group, "message": json.dumps(detail)}],
        # The true wait: the bucket is still empty before then.
        headers={
            "Retry-After": str(wait),
            "x-ms-ratelimit-remaining-resource": _remaining(checks),
        },
    )
