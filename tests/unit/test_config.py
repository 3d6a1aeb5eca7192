"""Settings: one frozen object from the environment, with errors that name the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import Settings, load_settings
from shared.errors import ConfigurationError

SUB = "00000000-0000-0000-0000-000000000001"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith(("LIFEBOAT_", "AZUREWEBJOBSSTORAGE")):
            monkeypatch.delenv(key)


def test_defaults_are_safe_and_need_no_environment() -> None:
    settings = load_settings()
    assert settings.subscriptions == ()
    assert settings.dry_run is False
    assert settings.arm_endpoint == "https://management.azure.com"
    assert settings.credential == "default"


def test_lists_and_maps_parse_from_comma_separated_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_SUBSCRIPTIONS", f"{SUB.upper()}, {SUB}")
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "East US, West US 3")
    monkeypatch.setenv("LIFEBOAT_DR_REGION_OVERRIDES", "westus3=centralus")
    monkeypatch.setenv("LIFEBOAT_DR_RESOURCE_GROUP", "lifeboat-dr-{region}")  # two DR regions
    monkeypatch.setenv("LIFEBOAT_SUBNET_MAP", '{"/a": "/b"}')
    settings = load_settings()
    assert settings.subscriptions == (SUB, SUB)
    assert settings.primary_regions == ("eastus", "westus3")
    assert settings.dr_region("westus3") == "centralus"
    assert settings.dr_region("East US") == "westus"
    assert settings.subnet_map == {"/a": "/b"}


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.dry_run = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "setting"),
    [
        ("LIFEBOAT_SUBSCRIPTIONS", "not-a-guid", "LIFEBOAT_SUBSCRIPTIONS"),
        ("LIFEBOAT_PRIMARY_REGIONS", "italynorth", "LIFEBOAT_DR_REGION_OVERRIDES"),
        ("LIFEBOAT_REPLICA_COUNT", "0", "LIFEBOAT_REPLICA_COUNT"),
        ("LIFEBOAT_DR_REGION_OVERRIDES", "eastus", "LIFEBOAT_DR_REGION_OVERRIDES"),
        ("LIFEBOAT_STORAGE_ACCOUNT_TYPE", "Premium_ZRS", "LIFEBOAT_STORAGE_ACCOUNT_TYPE"),
    ],
)
def test_bad_values_raise_configuration_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, setting: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == setting


def test_emulator_credential_is_refused_for_a_real_arm_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFEBOAT_CREDENTIAL", "emulator")
    with pytest.raises(ConfigurationError, match="loopback"):
        load_settings()
    monkeypatch.setenv("LIFEBOAT_ARM_ENDPOINT", "https://127.0.0.1:8443")
    assert load_settings().credential == "emulator"


def test_plain_http_arm_endpoint_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_ARM_ENDPOINT", "http://127.0.0.1:8080")
    with pytest.raises(ConfigurationError, match="https"):
        load_settings()


def test_connection_strings_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "AccountName=x;AccountKey=c2VjcmV0")
    settings = Settings()
    assert "c2VjcmV0" not in repr(settings)
    assert settings.state_storage_connection_string is not None


def test_example_local_settings_load_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "local.settings.example.json"
    for key, value in json.loads(example.read_text())["Values"].items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    assert settings.primary_regions == ("eastus",)
    assert settings.polling_interval_seconds is None
    assert settings.dr_storage_account is None


def test_a_malformed_region_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "east/us")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_PRIMARY_REGIONS"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("LIFEBOAT_DRYRUN", "LIFEBOAT_DRY_RUN"),
        ("LIFEBOAT_PRIMARY_REGION", "LIFEBOAT_PRIMARY_REGIONS"),
        ("lifeboat_subscription", "LIFEBOAT_SUBSCRIPTIONS"),
        ("LIFEBOAT_DR_STORAGE_ACOUNT", "LIFEBOAT_DR_STORAGE_ACCOUNT"),
    ],
)
def test_a_misspelt_setting_is_refused_not_silently_ignored(
    monkeypatch: pytest.MonkeyPatch, typo: str, meant: str
) -> None:
    monkeypatch.setenv(typo, "true")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == typo
    assert meant in str(err.value)


def test_deployment_time_variables_with_the_prefix_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LIFEBOAT_WIRE_EVENTS", "LIFEBOAT_FUNCTION_APP_NAME", "LIFEBOAT_TAGS"):
        monkeypatch.setenv(name, "x")
    assert load_settings().dry_run is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ("eastus=East US", "its own DR region"),
        ("eastus=westus,East US=centralus", "listed twice"),
        ("eastus=notaregion", "not a AzureCloud region"),
    ],
)
def test_dr_overrides_that_protect_nothing_are_refused(
    monkeypatch: pytest.MonkeyPatch, overrides: str, message: str
) -> None:
    monkeypatch.setenv("LIFEBOAT_DR_REGION_OVERRIDES", overrides)
    with pytest.raises(ConfigurationError, match=message) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_DR_REGION_OVERRIDES"


def test_overrides_are_stored_with_programmatic_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_DR_REGION_OVERRIDES", "East US=West US 2")
    assert load_settings().dr_region_overrides == {"eastus": "westus2"}


def test_endpoint_and_credential_errors_name_their_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFEBOAT_ARM_ENDPOINT", "http://127.0.0.1:1")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_ARM_ENDPOINT"
    monkeypatch.setenv("LIFEBOAT_ARM_ENDPOINT", "https://management.azure.com")
    monkeypatch.setenv("LIFEBOAT_CREDENTIAL", "emulator")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.setting == "LIFEBOAT_CREDENTIAL"
