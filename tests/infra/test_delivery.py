"""`azd up` and the GitHub workflow: one command provisions and deploys; CI tests, then ships."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.infra.bicep import INFRA, ROOT, function_call, main_scope

AZURE_YAML = ROOT / "azure.yaml"
PARAMETERS = INFRA / "main.parameters.json"
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
MAIN = main_scope()


def _yaml(path: Any) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text()))


def test_azd_deploys_the_repository_as_a_python_function_service_named_api() -> None:
    project = _yaml(AZURE_YAML)
    assert project["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert project["services"]["api"] == {"project": ".", "language": "python", "host": "function"}
    assert (ROOT / "function_app.py").is_file() and (ROOT / "host.json").is_file()


def test_azd_finds_the_function_app_by_its_service_tag() -> None:
    tags = function_call(MAIN.section("modules")["functionApp"]["config"]["params"]["tags"])
    assert tags is not None and tags[0] == "union"
    added = [MAIN.resolve(arg) for arg in tags[1].values()]
    assert {"azd-service-name": "api"} in added


def test_postdeploy_hook_wires_events_once_the_code_is_deployed() -> None:
    hooks = _yaml(AZURE_YAML)["hooks"]["postdeploy"]
    for shell in ("posix", "windows"):
        script = hooks[shell]["run"]
        assert "LIFEBOAT_EVENTS_WIRED" in script
        assert "azd env set LIFEBOAT_WIRE_EVENTS true" in script
        assert "azd provision --no-prompt" in script
    assert "LIFEBOAT_EVENTS_WIRED" in MAIN.section("outputs")
    assert MAIN.section("outputs")["LIFEBOAT_EVENTS_WIRED"]["value"] == "wireEvents"


def _parameters() -> dict[str, Any]:
    return dict(json.loads(PARAMETERS.read_text())["parameters"])


def test_parameters_file_names_only_main_bicep_parameters() -> None:
    assert set(_parameters()) <= set(MAIN.section("parameters"))


def test_parameters_file_supplies_every_required_parameter() -> None:
    required = {n for n, p in MAIN.section("parameters").items() if p.get("default") is None}
    assert required <= set(_parameters()), required - set(_parameters())


def test_parameters_come_from_the_azd_environment() -> None:
    env_ref = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(=[^}]*\}?)?\}$")
    for name, entry in _parameters().items():
        assert env_ref.match(entry["value"]), f"{name}: {entry['value']!r} is not ${{VAR}}"
    assert _parameters()["location"]["value"] == "${AZURE_LOCATION}"
    assert _parameters()["wireEvents"]["value"].startswith("${LIFEBOAT_WIRE_EVENTS")


def _workflow() -> dict[str, Any]:
    return _yaml(WORKFLOW)


def _steps(job: str) -> list[dict[str, Any]]:
    return list(_workflow()["jobs"][job]["steps"])


def test_workflow_runs_make_test_before_it_deploys() -> None:
    jobs = _workflow()["jobs"]
    assert any(step.get("run") == "make test" for step in _steps("test"))
    assert jobs["deploy"]["needs"] == "test"


def test_workflow_signs_in_azd_with_the_github_federated_credential_only() -> None:
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["permissions"]["id-token"] == "write"
    (login,) = [s for s in deploy["steps"] if str(s.get("run", "")).startswith("azd auth login")]
    command = login["run"]
    assert '--federated-credential-provider "github"' in command
    assert (
        '--client-id "$AZURE_CLIENT_ID"' in command and '--tenant-id "$AZURE_TENANT_ID"' in command
    )
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
        assert deploy["env"][name] == "${{ vars." + name + " }}"
    assert not any("azure/login" in str(s.get("uses", "")).lower() for s in deploy["steps"])
    assert "--client-secret" not in WORKFLOW.read_text()
    assert not re.search(r"\$\{\{\s*secrets\.", WORKFLOW.read_text()), "no stored secrets"


def _azd_variables() -> set[str]:
    refs = re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", PARAMETERS.read_text())
    return {r for r in refs if r.startswith("LIFEBOAT_")}


def test_workflow_writes_every_lifeboat_parameter_into_the_azd_environment() -> None:
    """azd reads them from there; the hooks' `azd env set` then has no process env to lose to."""
    deploy = _workflow()["jobs"]["deploy"]
    assert not [k for k in deploy["env"] if k.startswith("LIFEBOAT_")]
    (setup,) = [s for s in deploy["steps"] if "azd env new" in str(s.get("run", ""))]
    assert set(setup["env"]) == _azd_variables()
    loop = re.search(r"for name in ([A-Z0-9_ ]+);", setup["run"])
    assert loop and set(loop.group(1).split()) == _azd_variables()
    assert 'azd env set "$name" "$(printenv "$name")"' in setup["run"]


def test_workflow_provisions_then_deploys_with_azd() -> None:
    runs = [str(s.get("run", "")) for s in _steps("deploy")]
    provision = next(i for i, r in enumerate(runs) if r.startswith("azd provision"))
    deploy = next(i for i, r in enumerate(runs) if r.startswith("azd deploy"))
    assert provision < deploy
    assert all("--no-prompt" in runs[i] for i in (provision, deploy))
