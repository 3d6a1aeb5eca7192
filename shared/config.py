"""The one frozen Settings object, built from the environment in one place (load_settings)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.errors import ConfigurationError, InvalidInput
from shared.regions import dr_region_for, known_regions, normalize_overrides, normalize_region

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_GROUP_NAME = re.compile(r"^[-\w.()]+$", re.ASCII)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

StrList = Annotated[tuple[str, ...], NoDecode]
StrMap = Annotated[dict[str, str], NoDecode]


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return tuple(json.loads(text))
        return tuple(p.strip() for p in re.split(r"[,;]", text) if p.strip())
    return value


def _split_map(value: Any) -> Any:
    """Accept JSON (`{"eastus": "westus2"}`) or `eastus=westus2,westeurope=northeurope`."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            return json.loads(text)
        pairs = [p for p in re.split(r"[,;]", text) if p.strip()]
        out: dict[str, str] = {}
        for pair in pairs:
            key, sep, target = pair.partition("=")
            if not sep or not key.strip() or not target.strip():
                raise ValueError(f"expected key=value, got {pair.strip()!r}")
            out[key.strip()] = target.strip()
        return out
    return value


class Settings(BaseSettings):
    """Every setting Lifeboat reads. Environment names are LIFEBOAT_<FIELD> unless noted."""

    model_config = SettingsConfigDict(
        env_prefix="LIFEBOAT_",
        frozen=True,
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # local.settings.json lists every setting, unset ones as ""
    )

    # Scope
    subscriptions: StrList = Field(default=(), description="Subscription ids in scope.")
    primary_regions: StrList = Field(
        default=(), description="Regions whose workloads are protected."
    )
    dr_region_overrides: StrMap = Field(default_factory=dict, description="primary=dr overrides.")
    cloud: Literal["AzureCloud", "AzureChinaCloud", "AzureUSGovernment"] = "AzureCloud"

    # Behaviour
    dry_run: bool = Field(default=False, description="Plan and report, but write nothing to Azure.")
    protect_tag: str = Field(default="lifeboat-protect", description="Tag that opts a VM in.")
    mode_tag: str = Field(default="lifeboat-mode", description="snapshot | clean | restore-point.")
    schedule_tag: str = Field(default="lifeboat-schedule", description="Protection cadence.")
    group_tag: str = Field(default="lifeboat-group", description="Clean copies: one VM per group.")
    tier_tag: str = Field(default="lifeboat-tier", description="Recovery tier (outage policy).")

    # DR artefacts
    dr_resource_group: str = Field(
        default="lifeboat-dr",
        description="DR resource group per subscription; {region} = the DR region.",
    )
    failback_resource_group: str = Field(
        default="lifeboat-failback",
        description="Resource group (primary region) a failback copies the DR VMs' disks into.",
    )
    dr_gallery_name: str = "lifeboat_dr"
    replica_count: int = Field(default=1, ge=1, le=100)
    storage_account_type: Literal["Standard_LRS", "Standard_ZRS", "Premium_LRS"] = "Standard_ZRS"
    template_backup_retention: int = Field(default=30, ge=1, le=1000)
    subnet_map: StrMap = Field(default_factory=dict, description="source subnet id=DR subnet id")
    identity_map: StrMap = Field(default_factory=dict, description="source identity id=DR id")

    # HTTP connections per host (shared/azure/clients.py): one per concurrent invocation
    worker_threads: int = Field(
        default=32,
        ge=1,
        le=256,
        validation_alias=AliasChoices("PYTHON_THREADPOOL_THREAD_COUNT", "LIFEBOAT_WORKER_THREADS"),
        description="Invocations a worker runs at once; the HTTP pool keeps as many connections.",
    )

    # Storage: job state (the Function App's own account) and the DR-region account
    state_storage_connection_string: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "AzureWebJobsStorage", "LIFEBOAT_STATE_STORAGE_CONNECTION_STRING"
        ),
    )
    state_storage_account: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "AzureWebJobsStorage__accountName", "LIFEBOAT_STATE_STORAGE_ACCOUNT"
        ),
    )
    dr_storage_account: str | None = None
    dr_storage_connection_string: SecretStr | None = None
    storage_endpoint_suffix: str = "core.windows.net"
    jobs_queue: str = "lifeboat-jobs"
    jobs_table: str = "lifeboatjobs"
    templates_container: str = "template-backups"
    records_container: str = "recovery-records"
    vhd_container: str = "vhd-copies"

    # Azure Resource Manager access
    arm_endpoint: str = "https://management.azure.com"
    arm_ca_bundle: str | None = Field(default=None, description="CA file for a local emulator.")
    credential: Literal["default", "emulator"] = "default"
    polling_interval_seconds: float | None = Field(default=None, ge=0)

    # Jobs: the durable job backbone (shared/jobs, docs/jobs.md)
    jobs_time_budget_seconds: float = Field(
        default=240, gt=0, description="How long one run_job invocation advances a job."
    )
    jobs_lease_seconds: float = Field(
        default=600, gt=0, description="How long a worker's claim on a job blocks other workers."
    )
    jobs_max_retries: int = Field(
        default=8, ge=0, description="Transient failures in a row before a step fails its job."
    )
    jobs_backoff_base_seconds: float = Field(default=5, ge=0, description="First retry delay.")
    jobs_backoff_max_seconds: float = Field(default=900, ge=0, description="Retry delay cap.")
    jobs_poll_seconds: float = Field(
        default=60,
        gt=0,
        description="Wait when a step's precondition is not met and it names none.",
    )

    # Image DR (shared/images, docs/images.md)
    images_build_poll_seconds: float = Field(
        default=300, ge=0, description="Wait before re-reading a build that is still running."
    )
    images_copy_poll_seconds: float = Field(
        default=60, ge=0, description="Shortest wait before re-reading a copy or replication."
    )
    images_copy_poll_max_seconds: float = Field(
        default=1800, ge=0, description="Longest wait between two reads of a copy in progress."
    )
    images_sas_minutes: int = Field(
        default=60, ge=5, le=1440, description="Lifetime of the read-only SAS of a VHD copy."
    )
    primary_storage_connection_string: SecretStr | None = Field(
        default=None,
        description="Local only: signs VHD SAS with this account's key (else user delegation).",
    )

    # VM protection (shared/vms, docs/vms.md)
    copy_concurrency: int = Field(
        default=95, ge=1, le=99, description="CopyStarts in flight per subscription and DR region."
    )
    copies_table: str = Field(default="lifeboatcopies", description="The copy scheduler's table.")
    vms_default_schedule: str = Field(
        default="PT24H", description="Capture schedule of a VM without a schedule tag."
    )
    vms_keep_primary: int = Field(
        default=2, ge=1, le=450, description="Complete sets kept per VM in its own region."
    )
    vms_keep_dr: int = Field(
        default=7, ge=1, le=450, description="Complete sets kept per VM in the DR region."
    )
    vms_restore_point_copy: bool = Field(
        default=False, description="Allow lifeboat-mode=restore-point (a preview copy)."
    )
    vms_settle_seconds: float = Field(
        default=900, ge=0, description="Quiet time after a VM or disk write before a capture."
    )
    vms_copy_poll_seconds: float = Field(
        default=120, gt=0, description="Wait between two looks at a VM's copies in progress."
    )
    vms_orphan_grace_hours: float = Field(
        default=48, gt=0, description="Age after which an incomplete set is deleted."
    )

    # Events out (Event Grid custom topic) and Service Health in (the activity log)
    events_endpoint: str | None = Field(
        default=None,
        description="The Event Grid topic's endpoint (https://<topic>.<region>-1.eventgrid."
        "azure.net/api/events); unset: events are recorded as skipped.",
    )
    events_timeout_seconds: float = Field(
        default=10, gt=0, description="Timeout of one publish request to the events topic."
    )
    activity_workspace_id: str | None = Field(
        default=None,
        description="Log Analytics workspace id (customerId) holding the activity log.",
    )
    activity_endpoint: str = Field(
        default="https://api.loganalytics.io",
        description="The Log Analytics query endpoint (the local emulator's in tests).",
    )

    @field_validator("events_endpoint", "activity_endpoint")
    @classmethod
    def _https_endpoint(cls, value: Any) -> Any:
        if value and not str(value).startswith("https://"):
            raise ValueError("must be an https:// URL (bearer tokens never go over http)")
        return value

    # Outage response (shared/outages, docs/outages.md)
    ledger_table: str = Field(default="lifeboatledger", description="The alert ledger's table.")
    plans_container: str = Field(default="outage-plans", description="DR plans (DR account).")
    outage_tiers: str = Field(
        default="", description="lifeboat-tier value=auto|approve|notify, comma separated."
    )
    outage_default_response: Literal["auto", "approve", "notify"] = Field(
        default="approve", description="Response for untagged or unknown tiers."
    )
    plan_ttl_minutes: float = Field(
        default=240, gt=0, description="How long a pending plan waits for approval."
    )
    outage_webhook_url: str | None = Field(
        default=None, description="https Teams/Slack incoming webhook that plans are sent to."
    )
    public_base_url: str | None = Field(
        default=None, description="https base of the Function App, for approval links."
    )
    fallback_sizes: StrMap = Field(
        default_factory=dict, description="size=fallback|fallback, tried when a size is missing."
    )
    vm_create_concurrency: int = Field(
        default=450, ge=1, le=1500, description="VM creates in flight per subscription, DR region."
    )

    # Drills (shared/drills, docs/drills.md)
    drill_window_minutes: float = Field(
        default=30, ge=0, description="How long drill VMs stay up after validation."
    )
    drill_validation_timeout_minutes: float = Field(
        default=15, gt=0, description="How long a drill VM may take to pass validation."
    )
    drill_vnet_id: str | None = Field(
        default=None, description="Configured drill vnet id (else the drill creates one)."
    )
    drill_address_space: str = Field(
        default="10.250.0.0/16", description="Address space of a vnet a drill creates."
    )
    drill_schedule: str = Field(
        default="", description="Cron (UTC) of scheduled drills of all protected VMs; empty: none."
    )
    drill_probe: Literal["none", "http", "run-command"] = Field(
        default="none", description="Per-VM drill probe after the platform checks pass."
    )
    drill_probe_url: str = Field(
        default="", description="http probe: URL template, host {ip} (the VM's private IP)."
    )
    drill_probe_timeout_seconds: float = Field(
        default=5, gt=0, le=60, description="http probe: timeout of one request."
    )
    drill_probe_command_id: Literal["RunShellScript", "RunPowerShellScript"] = Field(
        default="RunShellScript", description="run-command probe: the Run Command to invoke."
    )
    drill_probe_script: StrList = Field(
        default=(), description="run-command probe: the script's lines (JSON list or ';')."
    )
    drill_probe_expect: str = Field(
        default="", description="run-command probe: regex its stdout must match (empty: any)."
    )
    tier_rto_targets: StrMap = Field(
        default_factory=dict, description="lifeboat-tier value=target RTO in minutes."
    )

    @field_validator("drill_vnet_id", "drill_address_space")
    @classmethod
    def _drill_network(cls, value: str | None, info: ValidationInfo) -> str | None:
        from shared.drills.network import DEFAULT_ADDRESS_SPACE, NetworkChoice

        if value is None or not value.strip():
            return None if info.field_name == "drill_vnet_id" else DEFAULT_ADDRESS_SPACE
        try:
            if info.field_name == "drill_vnet_id":
                NetworkChoice(configured_id=value.strip())
            else:
                NetworkChoice(address_space=value.strip())
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return value.strip()

    @field_validator("drill_schedule")
    @classmethod
    def _drill_schedule(cls, value: str) -> str:
        from cronsim import CronSim, CronSimError

        if value.strip():
            try:
                CronSim(value.strip(), datetime(2026, 1, 1, tzinfo=UTC))
            except CronSimError as exc:
                raise ValueError(f"not a cron expression: {exc}") from None
        return value.strip()

    @field_validator("drill_probe", mode="before")
    @classmethod
    def _drill_probe_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("drill_probe_url")
    @classmethod
    def _drill_probe_url(cls, value: str) -> str:
        from shared.drills.probes import check_url_template

        if not value.strip():
            return ""
        try:
            return check_url_template(value.strip())
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @field_validator("drill_probe_script", mode="before")
    @classmethod
    def _drill_probe_script(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(str(line) for line in json.loads(text))
            return tuple(p.strip() for p in text.split(";") if p.strip())
        return value

    @field_validator("drill_probe_expect")
    @classmethod
    def _drill_probe_expect(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("tier_rto_targets", mode="before")
    @classmethod
    def _tier_rto_targets(cls, value: Any) -> Any:
        targets = _split_map(value) or {}
        out: dict[str, str] = {}
        for tier, minutes in dict(targets).items():
            try:
                number = float(minutes)
            except (TypeError, ValueError):
                raise ValueError(f"{tier}: expected minutes, got {minutes!r}") from None
            if not number > 0:
                raise ValueError(f"{tier}: the target RTO must be positive minutes")
            out[str(tier).strip().lower()] = str(number)
        return out

    @model_validator(mode="after")
    def _drill_probe_complete(self) -> Settings:
        if self.drill_probe == "http" and not self.drill_probe_url:
            raise ConfigurationError("LIFEBOAT_DRILL_PROBE_URL", "required by the http probe")
        if self.drill_probe == "run-command" and not self.drill_probe_script:
            raise ConfigurationError(
                "LIFEBOAT_DRILL_PROBE_SCRIPT", "required by the run-command probe"
            )
        return self

    def tier_rto_target_seconds(self) -> dict[str, float]:
        """LIFEBOAT_TIER_RTO_TARGETS as tier (lower case) → target RTO in seconds."""
        return {tier: float(minutes) * 60 for tier, minutes in self.tier_rto_targets.items()}

    @field_validator("outage_webhook_url", "public_base_url")
    @classmethod
    def _https_only(cls, value: str | None) -> str | None:
        # SSRF: the app only ever posts to, or links, an https host named here, credential-free.
        if value is None or not value.strip():
            return None
        parts = urlparse(value.strip())
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            raise ValueError("expected an https URL without credentials")
        if parts.query or parts.fragment:
            raise ValueError("must carry no query or fragment (no keys in URLs)")
        return value.strip()

    # Readiness: the RPO ledger of GET /api/status and the dashboard (shared/readiness)
    readiness_image_rpo_hours: float = Field(
        default=168, gt=0, description="Target RPO of an image build lineage or artifact."
    )
    readiness_template_rpo_hours: float = Field(
        default=48, gt=0, description="Target RPO of a template backup (daily sweep + slack)."
    )
    readiness_at_risk_fraction: float = Field(
        default=0.8, gt=0, le=1, description="Share of a target RPO past which an item is at risk."
    )

    @field_validator("subscriptions", mode="before")
    @classmethod
    def _subscriptions(cls, value: Any) -> Any:
        items = _split_list(value)
        for item in items or ():
            if not _GUID.match(str(item)):
                raise ValueError(f"not a subscription id (GUID): {item!r}")
        return tuple(str(i).lower() for i in items or ())

    @field_validator("primary_regions", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        return tuple(normalize_region(r, "LIFEBOAT_PRIMARY_REGIONS") for r in _split_list(value))

    @field_validator("subnet_map", "identity_map", mode="before")
    @classmethod
    def _maps(cls, value: Any) -> Any:
        return _split_map(value)

    @field_validator("dr_region_overrides", mode="before")
    @classmethod
    def _overrides(cls, value: Any) -> Any:
        return normalize_overrides(_split_map(value), "LIFEBOAT_DR_REGION_OVERRIDES")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        known = known_regions(self.cloud)
        unknown = sorted(set(self.dr_region_overrides.values()) - known)
        if unknown:
            raise ConfigurationError(
                "LIFEBOAT_DR_REGION_OVERRIDES",
                f"DR region {unknown[0]!r} is not a {self.cloud} region",
            )
        dr_regions = {
            dr_region_for(region, self.dr_region_overrides, self.cloud)
            for region in self.primary_regions
        }
        self._check_dr_resource_group(dr_regions)
        if not self.arm_endpoint.startswith("https://"):
            raise ConfigurationError(
                "LIFEBOAT_ARM_ENDPOINT", "must be https:// (bearer tokens never go over http)"
            )
        host = urlparse(self.arm_endpoint).hostname or ""
        if self.credential == "emulator" and host not in _LOOPBACK:
            raise ConfigurationError(
                "LIFEBOAT_CREDENTIAL", "'emulator' is only allowed with a loopback ARM endpoint"
            )
        return self

    def _check_dr_resource_group(self, dr_regions: set[str]) -> None:
        name = self.dr_resource_group
        # Longest programmatic region names are ~20 characters; groups allow 90.
        probe = name.replace("{region}", "southafricanorth")
        if not _GROUP_NAME.match(probe) or probe.endswith(".") or len(probe) > 90:
            raise ConfigurationError(
                "LIFEBOAT_DR_RESOURCE_GROUP",
                "not a resource group name (1-90 letters, digits, '-', '_', '.', '(', ')'; "
                "the only placeholder is {region})",
            )
        if len(dr_regions) > 1 and "{region}" not in name:
            raise ConfigurationError(
                "LIFEBOAT_DR_RESOURCE_GROUP",
                f"the primary regions map to {len(dr_regions)} DR regions "
                f"({', '.join(sorted(dr_regions))}) but {name!r} names one resource group; "
                "add {region} (e.g. lifeboat-dr-{region}): each DR region needs a group "
                "located there",
            )

    def dr_region(self, primary: str) -> str:
        """Return the DR region for `primary` (override, else Microsoft's pair)."""
        return dr_region_for(primary, self.dr_region_overrides, self.cloud)


def environment_names() -> frozenset[str]:
    """Return the environment names Settings reads (upper case)."""
    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        else:
            names.add(f"LIFEBOAT_{field.upper()}")
    return frozenset(names)


def check_for_misspelt_settings(environ: Mapping[str, str]) -> None:
    """Raise ConfigurationError for a LIFEBOAT_* name that looks like a misspelt setting.

    LIFEBOAT_DRYRUN=true silently ignored would mean real writes. Names that resemble no
    setting (deployment-time variables such as LIFEBOAT_WIRE_EVENTS) are left alone.
    """
    known = environment_names()
    for name in environ:
        upper = name.upper()
        if not upper.startswith("LIFEBOAT_") or upper in known:
            continue
        close = _closest(upper, known)
        if close:
            raise ConfigurationError(name, f"not a Lifeboat setting; did you mean {close}?")


def _closest(name: str, known: frozenset[str]) -> str | None:
    import difflib

    squashed = {k.replace("_", ""): k for k in known}
    if name.replace("_", "") in squashed:
        return squashed[name.replace("_", "")]
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.88)
    return matches[0] if matches else None


def load_settings() -> Settings:
    """Build Settings from the environment; raise ConfigurationError naming the bad setting."""
    import os

    from pydantic import ValidationError

    check_for_misspelt_settings(os.environ)
    try:
        return Settings()
    except ConfigurationError:
        raise
    except InvalidInput as exc:  # a region validator: the setting is the field it names
        raise ConfigurationError(exc.field, exc.message) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        setting = where if where.startswith(("LIFEBOAT_", "Azure")) else f"LIFEBOAT_{where.upper()}"
        raise ConfigurationError(setting, first.get("msg", "invalid")) from None
