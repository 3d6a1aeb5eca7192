"""Scene (the last): the readiness page in a headless Chromium, saved as a screenshot."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

TITLE = "The readiness page: every protected item's RPO against its target, worst first"

Say = Callable[[str], None]
KEY = "demo-key"
SCREENSHOT = Path(".lifeboat-local") / "dashboard.png"


def _screenshot(url: str, say: Say) -> bool:
    if shutil.which("chromedriver") is None:
        say("(no chromedriver: run .ci/install-browser.sh for the screenshot)")
        return True
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1200,900")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(url)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))
        ok = driver.title == "Lifeboat readiness"
    finally:
        driver.quit()
    say(f"Screenshot of {url.split('?', maxsplit=1)[0]}: {SCREENSHOT}")
    return ok


def run(say: Say) -> bool:
    """Protect two VMs (one tagged wrongly), then show and photograph the page."""
    from azure.functions.timer import TimerRequest

    import function_app  # noqa: F401  (the app as the host loads it)
    from devtools.http_host import LocalHost
    from emulator.stack import local_azure
    from functions.reconcile import reconcile
    from shared.bootstrap import get_deps
    from shared.services.status import status_report
    from tests.plugins.arm import SUBSCRIPTION
    from tests.support.images import driver
    from tests.support.vms import tagged_vm

    with local_azure(SUBSCRIPTION) as local:
        local.arm.seed(
            {"resources": [tagged_vm("web1", data_disks=1), tagged_vm("odd", mode="sometimes")]}
        )
        with driver(local.arm) as jobs:
            reconcile(TimerRequest(past_due=True))  # discovery and web1's first set
            jobs.run()
        reconcile(TimerRequest(past_due=True))
        ledger = status_report(get_deps(), optional=False)["ledger"]
        for item in ledger["items"]:
            say(f"  {item['state']:<12} {item['kind']:<6} {item['name']}")
        host = LocalHost(KEY).start()
        try:
            ok = _screenshot(f"{host.url}/api/dashboard?code={KEY}", say)
        finally:
            host.stop()
    return ok and ledger["totals"]["items"] == 2
