"""The `lifeboat` console script (click + rich).

Exit codes: 0 done (status: every item ok or at risk); 1 the app refused (4xx/5xx, message
printed); 2 the app is unreachable (try `--direct`); 3 status found breached or unprotected
items; 4 no such plan; 5 the plan cannot be approved now (409); 64 usage (missing URL or key).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lifeboat_cli.client import AppClient, HttpFailure, Unreachable

OK, REFUSED, UNREACHABLE, NOT_READY, NO_PLAN, CONFLICT, USAGE = 0, 1, 2, 3, 4, 5, 64
TERMINAL = {"succeeded", "failed"}

console = Console(stderr=False, highlight=False)
errors = Console(stderr=True, highlight=False)


class Options:
    """The global options every command reads."""

    def __init__(self, url: str | None, key: str | None, direct: bool, as_json: bool) -> None:
        self.url, self.key, self.direct, self.as_json = url, key, direct, as_json

    def client(self) -> AppClient:
        if not self.url or not self.key:
            errors.print("set LIFEBOAT_URL and LIFEBOAT_FUNCTION_KEY (or --url/--key), or --direct")
            sys.exit(USAGE)
        return AppClient(self.url, self.key)


def _guard(call: Callable[[], int]) -> int:
    """Run a command; map the client's failures to messages and exit codes."""
    try:
        return call()
    except Unreachable as exc:
        errors.print(f"the app is unreachable ({exc}); `lifeboat --direct status` reads DR storage")
        return UNREACHABLE
    except HttpFailure as exc:
        errors.print(f"the app answered {exc.status}: {exc.message}")
        return REFUSED


@click.group()
@click.option("--url", envvar="LIFEBOAT_URL", help="The Function App URL (LIFEBOAT_URL).")
@click.option("--key", envvar="LIFEBOAT_FUNCTION_KEY", help="Function key (LIFEBOAT_FUNCTION_KEY).")
@click.option("--direct", is_flag=True, help="Read DR-region storage with your own credential.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def cli(ctx: click.Context, url: str | None, key: str | None, direct: bool, as_json: bool) -> None:
    """Lifeboat operator CLI."""
    ctx.obj = Options(url, key, direct, as_json)


def _direct_ledger() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ledger straight from DR-region storage (LIFEBOAT_DR_STORAGE_ACCOUNT and your login)."""
    from shared.bootstrap import get_deps
    from shared.readiness.ledger import MAX_LIMIT
    from shared.services.status import status_report

    deps = get_deps()
    report = status_report(deps, optional=False, limit=MAX_LIMIT)
    items = list(report["ledger"]["items"])
    token = report["ledger"]["continuation"]
    while token:
        page = status_report(deps, optional=False, limit=MAX_LIMIT, continuation=token)
        items.extend(page["ledger"]["items"])
        token = page["ledger"]["continuation"]
    return report, items


def _hours(seconds: object) -> str:
    return "-" if seconds is None else f"{float(str(seconds)) / 3600:.1f} h"


@cli.command()
@click.pass_obj
def status(opts: Options) -> None:
    """Every protected item, worst first; exit 3 if any is breached or unprotected."""

    def run() -> int:
        with Progress(SpinnerColumn(), TextColumn("reading the ledger"), TimeElapsedColumn(),
                      console=errors, transient=True) as progress:  # fmt: skip
            progress.add_task("ledger", total=None)
            report, items = _direct_ledger() if opts.direct else opts.client().ledger()
        totals = report["ledger"]["totals"]
        if opts.as_json:
            console.print_json(json.dumps({"totals": totals, "items": items}))
        else:
            table = Table("state", "kind", "name", "achieved", "target", "findings")
            for item in items:
                table.add_row(
                    item["state"], item["kind"], item["name"],
                    _hours(item["achieved_rpo_seconds"]), _hours(item["target_rpo_seconds"]),
                    "; ".join(f["message"] for f in item["findings"]),
                )  # fmt: skip
            console.print(table)
            console.print(" ".join(f"{k}: {v}" for k, v in totals["by_state"].items()))
        bad = totals["by_state"].get("breached", 0) + totals["by_state"].get("unprotected", 0)
        return NOT_READY if bad else OK

    sys.exit(_guard(run))


@cli.command()
@click.pass_obj
def plans(opts: Options) -> None:
    """The outage plans (GET /api/plans)."""

    def run() -> int:
        _, body = opts.client().call("GET", "plans")
        found = (body or {}).get("plans", [])
        if opts.as_json:
            console.print_json(json.dumps(body))
            return OK
        table = Table("id", "state", "kind", "incident", "items", "expires")
        columns = ("id", "state", "kind", "incident", "items", "expires_at")
        for plan in found:
            table.add_row(*(str(plan.get(k, "")) for k in columns))
        console.print(table if found else "no open plans")
        return OK

    sys.exit(_guard(run))


@cli.command()
@click.argument("plan_id")
@click.pass_obj
def approve(opts: Options, plan_id: str) -> None:
    """Approve an outage plan (POST /api/plans/{id}/approve)."""

    def run() -> int:
        try:
            body = opts.client().approve(plan_id)
        except HttpFailure as exc:
            if exc.status in (404, 409):
                errors.print(f"plan {plan_id}: {exc.message or exc.status}")
                return NO_PLAN if exc.status == 404 else CONFLICT
            raise
        if opts.as_json:
            console.print_json(json.dumps(body))
        else:
            console.print(f"plan {plan_id} approved")
        return OK

    sys.exit(_guard(run))


@cli.command("restore-template")
@click.argument("template_id")
@click.option("--backup", default="latest", help="latest, or a content hash (prefix).")
@click.option("--name", default=None, help="A different DR template name.")
@click.option("--wait/--no-wait", default=True, help="Follow the restore job until it ends.")
@click.option("--poll-seconds", default=5.0, show_default=True)
@click.pass_obj
def restore_template(  # noqa: PLR0917 (one parameter per click option)
    opts: Options, template_id: str, backup: str, name: str | None, wait: bool, poll_seconds: float
) -> None:
    """Restore an image template into its DR region (POST /api/templates/restore)."""

    def run() -> int:
        client = opts.client()
        request = {"templateId": template_id, "backup": backup, **({"name": name} if name else {})}
        code, body = client.call("POST", "templates/restore", body=request)
        job_id = (body or {}).get("job_id")
        if code == 202 and job_id and wait:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=errors, transient=True) as progress:  # fmt: skip
                task = progress.add_task(f"restore job {job_id}", total=None)
                while True:
                    _, body = client.call("GET", f"jobs/{job_id}")
                    progress.update(task, description=f"restore job {job_id}: {body['state']}")
                    if body["state"] in TERMINAL:
                        break
                    time.sleep(poll_seconds)
        if opts.as_json:
            console.print_json(json.dumps(body))
        else:
            console.print(f"restore {body.get('state', code)}: {template_id}")
        return REFUSED if (body or {}).get("state") == "failed" else OK

    sys.exit(_guard(run))


def main() -> None:
    """Console script entry point."""
    cli(auto_envvar_prefix=None, prog_name="lifeboat")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
