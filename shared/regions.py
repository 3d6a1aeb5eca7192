"""Region names and the DR region for each primary: Microsoft's pair table plus overrides."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from shared.errors import ConfigurationError, InvalidInput

GLOBAL = "global"
CLOUDS = ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")
_PREFIX = re.compile(r"^\([^)]*\)\s*")  # regionalDisplayName form: "(US) East US"
_VALID = re.compile(r"^[a-z0-9]+$")


def normalize_region(value: object, field: str = "region") -> str:
    """Return the programmatic name of a region given as programmatic or display name.

    "East US", "east us", "EastUS" and "(US) East US" all give "eastus"; "Global" gives
    "global". Raises InvalidInput naming `field` for anything that cannot be a region name.
    """
    if not isinstance(value, str):
        raise InvalidInput(field, "expected a region name string")
    name = _PREFIX.sub("", value.strip()).replace(" ", "").replace("-", "").lower()
    if not name or len(name) > 64 or not _VALID.match(name):
        raise InvalidInput(field, f"not a region name: {value[:80]!r}")
    return name


@cache
def pair_table(cloud: str = "AzureCloud") -> Mapping[str, str | None]:
    """Return Microsoft's published pairs for `cloud`: region → paired region or None."""
    if cloud not in CLOUDS:
        raise ConfigurationError("LIFEBOAT_CLOUD", f"unknown cloud {cloud!r}; one of {CLOUDS}")
    data = resources.files("shared.data")
    if cloud == "AzureCloud":
        table: dict[str, str | None] = json.loads(data.joinpath("region-pairs.json").read_text())
        return table
    sovereign = json.loads(data.joinpath("region-pairs-sovereign.json").read_text())
    result: dict[str, str | None] = sovereign[f"_cloud_{cloud}"]
    return result


def dr_region_for(
    primary: str,
    overrides: Mapping[str, str] | None = None,
    cloud: str = "AzureCloud",
) -> str:
    """Return the DR region for `primary`: the override if configured, else the published pair.

    Raises ConfigurationError naming the region when it has no pair and no override, or when
    the region is not in the pair table at all.
    """
    region = normalize_region(primary, "primary region")
    if overrides:
        for key, target in overrides.items():
            if normalize_region(key, "LIFEBOAT_DR_REGION_OVERRIDES") == region:
                return normalize_region(target, "LIFEBOAT_DR_REGION_OVERRIDES")
    table = pair_table(cloud)
    if region not in table:
        raise ConfigurationError(
            "LIFEBOAT_DR_REGION_OVERRIDES",
            f"region {region!r} is not in the {cloud} pair table; "
            f"set a DR region for it, e.g. {region}=<dr-region>",
        )
    paired = table[region]
    if paired is None:
        raise ConfigurationError(
            "LIFEBOAT_DR_REGION_OVERRIDES",
            f"region {region!r} has no Azure pair; "
            f"set a DR region for it, e.g. {region}=<dr-region>",
        )
    return paired


def known_regions(cloud: str = "AzureCloud") -> frozenset[str]:
    """Return every region named in `cloud`'s pair table (as a region or as a pair)."""
    table = pair_table(cloud)
    return frozenset(table) | frozenset(v for v in table.values() if v)


def normalize_overrides(overrides: Mapping[str, str], setting: str) -> dict[str, str]:
    """Return `overrides` with programmatic names; raise ConfigurationError naming `setting`.

    A primary named twice (also as "East US" and "eastus") or mapped to itself is refused:
    a "DR" copy in the same region would be reported DR-ready and protect nothing.
    """
    out: dict[str, str] = {}
    for key, target in overrides.items():
        try:
            primary, dr = normalize_region(key, setting), normalize_region(target, setting)
        except InvalidInput as exc:
            raise ConfigurationError(setting, exc.message) from None
        if primary in out:
            raise ConfigurationError(setting, f"region {primary!r} is listed twice")
        if primary == dr:
            raise ConfigurationError(setting, f"region {primary!r} cannot be its own DR region")
        out[primary] = dr
    return out
