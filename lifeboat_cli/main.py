"""The `lifeboat` console script (click + rich).

Exit codes: 0 done (status: every item ok or at risk); 1 the app refused (4xx/5xx, message
printed); 2 the app is unreachable (try `--direct`); 3 status found breached or unprotected
items; 4 no such plan or drill; 5 the plan cannot be approved now, or no drill can start while an
outage plan executes (409); 64 usage (missing URL or key). `drill start`/`drill show` exit 1 when
the drill failed (a job failed, or its evidence says it did not pass).
"""

from __future__ import annotations

import getpass
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
        table = Table()
        for title in ("id", "state"):
            table.add_column(title, no_wrap=True)
        for title in ("action", "kind", "incident", "items", "expires"):
            table.add_column(title)
        columns = ("planId", "state", "action", "kind", "incident", "items", "expiresAt")
        for plan in found:
            table.add_row(*(str(plan.get(k, "")) for k in columns))
        console.print(table if found else "no open plans")
        return OK

    sys.exit(_guard(run))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@cli.command()
@click.argument("plan_id")
@click.option(
    "--by",
    "who",
    envvar="LIFEBOAT_APPROVER",
    default=_login,
    help="Who approves (recorded as approvedBy; LIFEBOAT_APPROVER, else your login name).",
)
@click.pass_obj
def approve(opts: Options, plan_id: str, who: str) -> None:
    """Approve an outage plan (POST /api/plans/{id}/approve)."""

    def run() -> int:
        try:
            body = opts.client().approve(plan_id, who)
        except HttpFailure as exc:
            if exc.status in (404, 409):
                message = exc.message or str(exc.status)
                errors.print(message if plan_id in message else f"plan {plan_id}: {message}")
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


def _drill_outcome(body: dict[str, Any]) -> tuple[str, bool]:
    """(what the drill is doing, whether it has ended) from GET /api/drills/{id}."""
    evidence = body.get("evidence")
    if evidence:
        return ("passed" if evidence.get("passed") else "did not pass"), True
    jobs = body.get("jobs") or {}
    for name in ("run", "followup"):
        if (jobs.get(name) or {}).get("state") == "failed":
            return f"{name} job failed", True
    execution = body.get("execution") or {}
    if execution.get("state") == "failed":
        return "execution failed", True
    if jobs.get("followup"):
        return "validating and cleaning up", False
    return f"recovering ({execution.get('state', 'queued')})", False


def _drill_failed(body: dict[str, Any]) -> bool:
    evidence = body.get("evidence")
    return not (evidence and evidence.get("passed"))


def _print_drill(body: dict[str, Any]) -> None:
    state, ended = _drill_outcome(body)
    console.print(f"drill {body.get('drillId')} (plan {body.get('planId')}): {state}")
    evidence = body.get("evidence") or {}
    if evidence.get("vms"):
        table = Table("source vm", "verdict", "rto", "rto target")
        for vm in evidence["vms"]:
            table.add_row(
                str(vm.get("sourceVmId") or vm.get("vmId")).rsplit("/", 1)[-1],
                str(vm.get("verdict")),
                _hours(vm.get("rtoSeconds")),
                _hours(vm.get("rtoTargetSeconds")),
            )
        console.print(table)
    cleanup = evidence.get("cleanup") or {}
    if cleanup:
        done = "complete" if cleanup.get("complete") else f"incomplete, left: {cleanup.get('left')}"
        console.print(f"cleanup {done}")
    if not ended:
        console.print(f"follow it: lifeboat drill show {body.get('planId')}")


@cli.group()
def drill() -> None:
    """Drills: recover protected VMs into the drill network, validate, clean up, keep evidence."""


@drill.command("start")
@click.option("--tag", default=None, metavar="K=V", help="Drill the protected VMs with this tag.")
@click.option("--vm", "vms", multiple=True, metavar="ID", help="A VM resource id (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show the drill plan; change nothing.")
@click.option("--wait/--no-wait", default=True, help="Follow the drill until its evidence.")
@click.option("--poll-seconds", default=5.0, show_default=True)
@click.pass_obj
def drill_start(  # noqa: PLR0917 (one parameter per click option)
    opts: Options,
    tag: str | None,
    vms: tuple[str, ...],
    dry_run: bool,
    wait: bool,
    poll_seconds: float,
) -> None:
    """Start a drill (POST /api/drills); every protected VM unless --tag or --vm."""
    if tag and vms:
        errors.print("give either --tag or --vm, not both")
        sys.exit(USAGE)

    def run() -> int:
        client = opts.client()
        request: dict[str, Any] = {"tag": tag} if tag else {"vmIds": list(vms)} if vms else {}
        if dry_run:
            request["dryRun"] = True
        try:
            code, started = client.start_drill(request)
        except HttpFailure as exc:
            if exc.status == 409:
                errors.print(f"no drill now: {exc.message}")
                return CONFLICT
            raise
        if dry_run or code != 202 or not wait:
            _print_started(opts, started, dry_run or code != 202)
            return OK
        body = _follow(client, started["planId"], poll_seconds)
        if opts.as_json:
            console.print_json(json.dumps(body))
        else:
            _print_drill(body)
        return REFUSED if _drill_failed(body) else OK

    sys.exit(_guard(run))


def _print_started(opts: Options, started: dict[str, Any], dry_run: bool) -> None:
    if opts.as_json:
        console.print_json(json.dumps(started))
    elif dry_run:
        items = (started.get("plan") or {}).get("items") or ()
        console.print(f"dry run: drill plan {started.get('planId')}, {len(items)} items")
    else:
        console.print(f"drill {started['drillId']} started (plan {started['planId']})")
        console.print(f"follow it: lifeboat drill show {started['planId']}")


def _follow(client: AppClient, plan_id: str, poll_seconds: float) -> dict[str, Any]:
    """GET /api/drills/{id} with a spinner until the drill has ended."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=errors, transient=True) as progress:  # fmt: skip
        task = progress.add_task(f"drill {plan_id}", total=None)
        while True:
            body: dict[str, Any] = client.drill(plan_id)
            state, ended = _drill_outcome(body)
            progress.update(task, description=f"drill {body.get('drillId')}: {state}")
            if ended:
                return body
            time.sleep(poll_seconds)


@drill.command("show")
@click.argument("plan_id")
@click.pass_obj
def drill_show(opts: Options, plan_id: str) -> None:
    """One drill (GET /api/drills/{id}): its execution, jobs and evidence."""

    def run() -> int:
        try:
            body = opts.client().drill(plan_id)
        except HttpFailure as exc:
            if exc.status == 404:
                errors.print(f"drill {plan_id}: {exc.message or exc.status}")
                return NO_PLAN
            raise
        if opts.as_json:
            console.print_json(json.dumps(body))
        else:
            _print_drill(body)
        _, ended = _drill_outcome(body)
        return REFUSED if ended and _drill_failed(body) else OK

    sys.exit(_guard(run))


def main() -> None:
    """Console script entry point."""
    cli(auto_envvar_prefix=None, prog_name="lifeboat")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
