"""Seeded generators of invalid input for every HTTP route and the Event Grid trigger.

Each case is built from a valid payload by a mutation that makes it invalid (or from junk), so
the oracle is simple: the app answers 4xx (HTTP) or drops the event, and writes nothing. The
families: `junk` (bytes, non-objects, deep nesting), `mutations` (a required field dropped, a
type changed, an unknown field, a corrupted id), `out_of_scope` (another subscription),
`hosts` (VHD URLs on hosts outside Azure Storage, http://, URL tricks), `surrogates` (a lone
UTF-16 surrogate in a string field, as JSON's \\ud800 escape carries it).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.event_samples import alert_samples
from tests.support import images

IN_SCOPE = images.SUB
RG = f"/subscriptions/{IN_SCOPE}/resourceGroups/images"
TEMPLATE = f"{RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
VERSION = f"{RG}/providers/Microsoft.Compute/galleries/golden/images/web/versions/1.0.0"
# A VM id in scope that the fuzz estate does not hold: no case may start a job or write.
VM = f"{RG}/providers/Microsoft.Compute/virtualMachines/fuzz-vm"
MANAGED = f"{RG}/providers/Microsoft.Compute/images/web-managed"
SURROGATES = ("\ud800", "\udfff", "\udbff", "\udc00")
NASTY = ("", " ", "/", "//", "..", "%2F", "\x00", "\n", "\\", "'", '"', "\u202e", "\ufeff", "😀")
# VHD URLs whose host is not `<account>.blob.<storage suffix>` over https (credentials to them
# would leave Azure Storage), each with a readable name.
BAD_HOSTS = (
    "https://attacker.example/acct/c/b.vhd",
    "https://lbprimary.blob.core.windows.net.attacker.example/c/b.vhd",
    "https://attacker.example/lbprimary.blob.core.windows.net/c/b.vhd",
    "http://lbprimary.blob.core.windows.net/c/b.vhd",
    "https://lbprimary.queue.core.windows.net/c/b.vhd",
    "https://lbprimary.blobXcore.windows.net/c/b.vhd",
    "https://evilcore.windows.net/c/b.vhd",
    "https://lbprimary.blob.core.windows.net@attacker.example/c/b.vhd",
    "https://attacker.example\\@lbprimary.blob.core.windows.net/c/b.vhd",
    "https://169.254.169.254/metadata/c/b.vhd",
    "https://10.0.0.1/lbprimary/c/b.vhd",
    "https://[::1]/lbprimary/c/b.vhd",
    "https://localhost/lbprimary/c/b.vhd",
    "ftp://lbprimary.blob.core.windows.net/c/b.vhd",
    "file:///etc/passwd",
    "https://lbprimary.blob.core.windows.net.evil/c/b.vhd",
    "https://lbprimary.blob.core.chinacloudapi.cn.attacker.example/c/b.vhd",
)


@dataclass(frozen=True)
class Case:
    """One fuzz input: an HTTP body (bytes) or route value, or an Event Grid event (dict)."""

    family: str
    value: Any


def other_subscription(rng: random.Random) -> str:
    """A well-formed subscription id that is not in scope."""
    while True:
        sub = "-".join(
            "".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12)
        )
        if sub != IN_SCOPE:
            return sub


def junk_value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value (deeper values get smaller)."""
    pick = rng.randrange(9 if depth < 3 else 6)
    simple: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.randint(-(2**63), 2**63),
        lambda: rng.uniform(-1e308, 1e308),
        lambda: rng.choice(NASTY) * rng.randint(1, 3),
        lambda: "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(0, 40))),
        lambda: [junk_value(rng, depth + 1) for _ in range(rng.randint(0, 3))],
        lambda: {junk_text(rng): junk_value(rng, depth + 1) for _ in range(rng.randint(0, 3))},
        lambda: "x" * rng.choice([1024, 70_000]),
    ]
    return simple[pick]()


def junk_text(rng: random.Random) -> str:
    return "".join(rng.choice("abcXYZ_-09 /.") for _ in range(rng.randint(0, 12)))


def junk_body(rng: random.Random) -> bytes:
    """Bytes that are not a valid request: not JSON, not UTF-8, not an object, too deep."""
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    if kind == 1:
        return json.dumps(junk_value(rng)).encode()
    if kind == 2:
        depth = rng.choice([50, 5_000, 100_000])
        return b"[" * depth + b"]" * depth
    if kind == 3:
        return rng.choice([b"", b"{", b"}", b"null", b"[]", b'"x"', b"\xff\xfe{}", b"{'a':1}"])
    if kind == 4:
        return b'{"templateId": "' + bytes(rng.randrange(128, 256) for _ in range(8)) + b'"}'
    return json.dumps({junk_text(rng): junk_value(rng)}).encode()


def corrupt_url(rng: random.Random, url: str) -> str:
    """A blob URL made unusable: a SAS or query appended, the path or scheme broken."""
    how = rng.randrange(4)
    if how == 0:
        return url + rng.choice(["?sv=2024-01-01&sig=abc", "?x=1", "?", "#?sig=a"])
    if how == 1:
        return url.split("://", 1)[1]
    if how == 2:
        return url.split("/c/", 1)[0] + rng.choice(["", "/", "/c", "/c/"])
    return rng.choice(["https://", "https:///c/b.vhd", "https://:443/c/b.vhd", " "])


def corrupt_id(rng: random.Random, arm_id: str) -> str:
    """An ARM id broken in its structure (never just a different, valid resource name)."""
    if "://" in arm_id:
        return corrupt_url(rng, arm_id)
    if not arm_id.lower().startswith("/subscriptions/"):
        return rng.choice(NASTY) + arm_id[: rng.randrange(len(arm_id) + 1)]
    parts = arm_id.split("/")
    how = rng.randrange(7)
    if how == 0:  # cut inside the structure, before the resource name
        return "/".join(parts[: rng.randrange(1, len(parts) - 1)])
    if how == 1:  # the subscription is not a GUID
        parts[2] = rng.choice(["", "x", parts[2][:-1], parts[2] + "0", "*", ".."])
        return "/".join(parts)
    if how == 2:  # a keyword segment replaced
        keywords = [i for i, p in enumerate(parts) if p in ("subscriptions", "resourceGroups",
                                                            "providers")]  # fmt: skip
        parts[rng.choice(keywords)] = rng.choice((*NASTY[:6], "subscription", "rg"))
        return "/".join(parts)
    if how == 3 and "providers" in parts:  # the provider or type changed
        index = parts.index("providers") + rng.choice([1, 2])
        parts[index] = rng.choice(["Microsoft.Storage", "Microsoft.Compute/disks", "", "x"])
        return "/".join(parts)
    if how == 4:  # not an id at all
        return rng.choice(["", " ", "null", "subscriptions", arm_id.replace("/", "\\"), "/" * 9])
    if how == 5:  # a relative trick
        return arm_id + rng.choice(["/../../x", "/..", "/./x/.."])
    return rng.choice(["https://", "http://", "ftp://"]) + arm_id.lstrip("/")


def mutate(rng: random.Random, body: dict[str, Any], ids: tuple[str, ...]) -> dict[str, Any]:
    """`body` made invalid: a required field dropped or mistyped, an unknown field, a bad id."""
    out = copy.deepcopy(body)
    how = rng.randrange(4)
    key = rng.choice(list(out))
    present = [k for k in ids if k in out]
    if how == 0:  # the required field gone
        out.pop(present[0] if present else key)
    elif how == 1:  # a field of the wrong JSON type
        wrong: list[Any] = [None, 1, 1.5, [], {}, [out[key]], {"id": out[key]}]
        out[key] = rng.choice(["true", 1, None, "yes"] if isinstance(out[key], bool) else wrong)
    elif how == 2:
        out[rng.choice(["dryrun", "TemplateId", "all ", "extra", "sig", "__proto__"])] = True
    else:
        field = rng.choice(present or [key])
        out[field] = corrupt_id(rng, str(out[field])) if isinstance(out[field], str) else "x"
    return out


def with_surrogate(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with a lone surrogate inserted into one of its string fields."""
    out = copy.deepcopy(body)
    fields = [k for k, v in out.items() if isinstance(v, str)]
    key = rng.choice(fields)
    at = rng.randrange(len(out[key]) + 1)
    out[key] = out[key][:at] + rng.choice(SURROGATES) + out[key][at:]
    return out


def out_of_scope(rng: random.Random, body: Any) -> Any:
    """`body` (any JSON) with every in-scope subscription id replaced by another one."""
    other = other_subscription(rng)
    text = json.dumps(body).replace(IN_SCOPE, rng.choice([other, other.upper()]))
    return json.loads(text)


def encode(body: Any) -> bytes:
    """The JSON text (ASCII, so lone surrogates travel as \\uXXXX escapes)."""
    return json.dumps(body, ensure_ascii=True).encode()


# ---- per target ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """What is fuzzed: valid seeds, the id fields, which families apply."""

    name: str
    seeds: tuple[Any, ...]
    ids: tuple[str, ...]
    families: tuple[str, ...]


def replicate_seeds() -> tuple[dict[str, Any], ...]:
    return (
        {"templateId": TEMPLATE},
        {"templateId": TEMPLATE, "dryRun": True},
        {"runOutputId": f"{TEMPLATE}/runOutputs/web-sig"},
        {"artifactId": VERSION},
        {"artifactId": MANAGED, "region": "eastus"},
        {"artifactId": "https://lbprimary.blob.core.windows.net/c/b.vhd", "region": "eastus"},
    )


TARGETS: dict[str, Target] = {
    "vms-protect": Target(
        "vms-protect",
        ({"vmId": VM}, {"vmId": VM, "dryRun": True}, {"tag": "tier=gold", "dryRun": True}),
        ("vmId",),
        ("junk", "mutations", "out_of_scope", "surrogates"),
    ),
    "images-replicate": Target(
        "images-replicate",
        replicate_seeds(),
        ("templateId", "runOutputId", "artifactId"),
        ("junk", "mutations", "out_of_scope", "hosts", "surrogates"),
    ),
    "templates-backup": Target(
        "templates-backup",
        ({"templateId": TEMPLATE},),
        ("templateId",),
        ("junk", "mutations", "out_of_scope", "surrogates"),
    ),
    "templates-restore": Target(
        "templates-restore",
        ({"templateId": TEMPLATE}, {"templateId": TEMPLATE, "dryRun": True, "backup": "latest"}),
        ("templateId",),
        ("junk", "mutations", "out_of_scope", "surrogates"),
    ),
    "service-health": Target(
        "service-health", tuple(alert_samples().values()), (), ("junk", "mutations", "surrogates")
    ),
    "jobs": Target("jobs", ("image_build-" + "0" * 32,), (), ("junk", "mutations")),
    "status": Target("status", ({"templates": "false"},), (), ("junk", "mutations")),
}


def http_cases(target: Target, family: str, count: int, seed: int) -> Iterator[Case]:
    """`count` cases of `family` for an HTTP route (bodies as bytes; jobs/status: strings)."""
    rng = random.Random(f"{target.name}/{family}/{seed}")
    seeds = target.seeds
    if family == "out_of_scope":  # only seeds that name a subscription
        seeds = tuple(s for s in seeds if IN_SCOPE in json.dumps(s))
    for _ in range(count):
        base = copy.deepcopy(rng.choice(seeds))
        yield Case(family, _http_case(rng, target, family, base))


def _http_case(rng: random.Random, target: Target, family: str, base: Any) -> Any:
    if target.name == "jobs":
        return _job_id(rng, family, base)
    if target.name == "status":
        return {rng.choice(["templates", "Templates", junk_text(rng)]): junk_text(rng)}
    if family == "junk":
        return junk_body(rng)
    if family == "mutations":
        return encode(mutate(rng, base, target.ids) if isinstance(base, dict) else base)
    if family == "out_of_scope":
        return encode(out_of_scope(rng, base))
    if family == "hosts":
        return encode({"artifactId": rng.choice(BAD_HOSTS), "region": "eastus"})
    return encode(with_surrogate(rng, _with_string(base)))


def _with_string(body: dict[str, Any]) -> dict[str, Any]:
    if any(isinstance(v, str) for v in body.values()):
        return body
    return {**body, "schemaId": "azureMonitorCommonAlertSchema"}


def _job_id(rng: random.Random, family: str, base: str) -> str:
    if family == "junk":
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(0, 80)))
    at = rng.randrange(len(base))
    return base[:at] + rng.choice((*NASTY, "Z", "-", "_", "0" * 40)) + base[at + 1 :]


# ---- Event Grid --------------------------------------------------------------------------------
def event_seeds() -> tuple[dict[str, Any], ...]:
    """Valid events of every routed kind, as Event Grid delivers them."""
    build = images.build_event("web")
    write = copy.deepcopy(build)
    write.update(eventType="Microsoft.Resources.ResourceWriteSuccess", subject=TEMPLATE)
    write["data"].update(operationName="Microsoft.VirtualMachineImages/imageTemplates/write")
    delete = copy.deepcopy(write)
    delete.update(eventType="Microsoft.Resources.ResourceDeleteSuccess")
    delete["data"].update(operationName="Microsoft.VirtualMachineImages/imageTemplates/delete")
    version = copy.deepcopy(write)
    version.update(subject=VERSION)
    version["data"].update(
        operationName="Microsoft.Compute/galleries/images/versions/write",
        resourceUri=VERSION, resourceProvider="Microsoft.Compute",
    )  # fmt: skip
    return build, write, delete, version


EVENT_FAMILIES = ("junk", "mutations", "out_of_scope", "surrogates")


def event_cases(family: str, count: int, seed: int) -> Iterator[Case]:
    """`count` raw events of `family` (dicts in Event Grid schema)."""
    rng = random.Random(f"events/{family}/{seed}")
    seeds = event_seeds()
    for _ in range(count):
        raw = copy.deepcopy(rng.choice(seeds))
        yield Case(family, _event_case(rng, family, raw))


def _event_case(rng: random.Random, family: str, raw: dict[str, Any]) -> dict[str, Any]:
    data = raw["data"]
    if family == "junk":
        raw["data"] = junk_value(rng)
        raw["subject"] = rng.choice([junk_text(rng), raw["subject"]])
        return raw
    if family == "out_of_scope":
        return dict(out_of_scope(rng, raw))
    if family == "surrogates":
        key = rng.choice(["subject", "resourceUri", "operationName"])
        holder = raw if key == "subject" else data
        at = rng.randrange(len(holder[key]) + 1)
        holder[key] = holder[key][:at] + rng.choice(SURROGATES) + holder[key][at:]
        if key == "subject":
            data["resourceUri"] = raw["subject"]
        return raw
    how = rng.randrange(4)
    if how == 0:
        raw["subject"] = data["resourceUri"] = corrupt_id(rng, raw["subject"])
    elif how == 1:
        data.pop(rng.choice(["operationName", "resourceUri", "status", "subscriptionId"]), None)
        raw["subject"] = corrupt_id(rng, raw["subject"])
    elif how == 2:
        data["subscriptionId"] = rng.choice(["", "x", None, 1, other_subscription(rng)])
        raw["subject"] = data["resourceUri"] = corrupt_id(rng, raw["subject"])
    else:
        raw["eventType"] = rng.choice(["", "Microsoft.Resources.ResourceWriteFailure", "x"])
        data["operationName"] = rng.choice([junk_text(rng), None, 7])
    return raw
