"""GET /api/dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven
by selenium), served by the local HTTP host over the emulator and Azurite."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from devtools.http_host import LocalHost
from functions.reconcile import reconcile
from shared import features
from tests.plugins.arm import LifeboatEnv
from tests.support.vms import tagged_vm

pytestmark = [
    pytest.mark.azurite,
    pytest.mark.emulator,
    pytest.mark.skipif(
        shutil.which("chromedriver") is None, reason="run .ci/install-browser.sh (make setup)"
    ),
]

KEY = "local-test-key"
PLAN = {
    "id": "plan-eastus-1", "state": "proposed", "kind": "outage", "incident": "TRK-1",
    "created_at": "2030-01-01T00:00:00+00:00", "expires_at": "2030-01-01T04:00:00+00:00",
    "items": 3,
}  # fmt: skip
DRILL = {"id": "drill-7", "state": "succeeded", "started_at": "2030-01-01", "rto_seconds": 5400}


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def seeded(lifeboat_env: LifeboatEnv, monkeypatch: pytest.MonkeyPatch) -> LifeboatEnv:
    """A protected VM, a refused one, and the plans/drills sections their branches contribute."""
    lifeboat_env.arm.seed(
        {
            "resources": [
                tagged_vm("web1", data_disks=0),
                tagged_vm("odd", mode="sometimes", data_disks=0),
            ]
        }
    )
    reconcile(TimerRequest(past_due=True))  # discovery (no set yet: web1 unprotected)

    def plans(deps: Any, now: datetime) -> dict[str, Any]:
        return {"plans": [PLAN, {**PLAN, "id": "plan-old", "state": "expired"}]}

    def drills(deps: Any, now: datetime) -> dict[str, Any]:
        return {"drills": [DRILL]}

    monkeypatch.setattr(
        features,
        "STATUS_SECTIONS",
        (
            *features.STATUS_SECTIONS,
            features.StatusSection("plans", plans, optional=True),
            features.StatusSection("drills", drills),
        ),
    )
    return lifeboat_env


def approve(answers: list[str], seen: list[str]) -> Any:
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        seen.append(f"{req.method} {req.url.split('?')[0]} {req.route_params['plan_id']}")
        status = {"ok": 200, "conflict": 409}[answers.pop(0)]
        return func.HttpResponse(json.dumps({}), status_code=status, mimetype="application/json")

    return handler


def test_page_shows_seeded_items_worst_first_and_the_approve_button_posts(
    seeded: LifeboatEnv, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    seen: list[str] = []
    answers = ["conflict", "ok"]
    host = LocalHost(KEY, extra=[("POST", "plans/{plan_id}/approve", approve(answers, seen))])
    host.start()
    try:
        browser.get(f"{host.url}/api/dashboard?code={KEY}")
        assert browser.title == "Lifeboat readiness"
        items = browser.find_elements(By.CSS_SELECTOR, "#ledger .item")
        names = [i.find_element(By.CSS_SELECTOR, ".name").text for i in items]
        assert sorted(names) == ["odd", "web1"]
        assert {i.get_attribute("data-state") for i in items} == {"unprotected"}
        assert "2 items in the ledger" in browser.find_element(By.ID, "totals").text
        assert "lifeboat-mode" in browser.find_element(By.ID, "findings").text
        assert "drill-7" in browser.find_element(By.ID, "drills").text
        assert "1.5 h" in browser.find_element(By.ID, "drills").text
        plans = browser.find_elements(By.CSS_SELECTOR, "#plans .plan")
        assert [p.get_attribute("data-plan") for p in plans] == ["plan-eastus-1"]  # open only

        button = browser.find_element(By.CSS_SELECTOR, "button.approve")
        result = browser.find_element(By.CSS_SELECTOR, "#plans .result")
        button.click()
        WebDriverWait(browser, 10).until(ec.text_to_be_present_in_element_attribute(
            (By.CSS_SELECTOR, "#plans .result"), "textContent", "409"))  # fmt: skip
        assert result.text == "cannot be approved now (409)"
        assert button.is_enabled()  # a 409 may be retried
        button.click()
        WebDriverWait(browser, 10).until(ec.text_to_be_present_in_element_attribute(
            (By.CSS_SELECTOR, "#plans .result"), "textContent", "200"))  # fmt: skip
        assert result.text == "approved (200)"
        assert not button.is_enabled()
        approve_url = f"{host.url}/api/plans/plan-eastus-1/approve"
        assert seen == [f"POST {approve_url} plan-eastus-1"] * 2
    finally:
        host.stop()


def test_page_works_on_a_phone_and_with_the_primary_region_down(
    seeded: LifeboatEnv, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    seeded.arm.faults.region_down("eastus")
    seeded.arm.log.clear()
    browser.set_window_size(390, 844)
    host = LocalHost(KEY).start()
    try:
        browser.get(f"{host.url}/api/dashboard?code={KEY}")
        ledger = browser.find_element(By.ID, "ledger")
        assert len(ledger.find_elements(By.CSS_SELECTOR, ".item")) == 2
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        browser.get(f"{host.url}/api/dashboard")  # no key: the host refuses
        assert "Lifeboat readiness" not in browser.page_source
    finally:
        host.stop()
    assert seeded.arm.log.entries() == []  # DR-region storage only
