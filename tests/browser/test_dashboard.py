"""GET /api/dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven
by selenium), served by the local HTTP host over the emulator and Azurite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.functions.timer import TimerRequest

from devtools.http_host import LocalHost
from functions.reconcile import reconcile
from shared.bootstrap import get_deps
from tests.functional.test_drills_api import _protected
from tests.functional.test_outages import _declare, _webhook
from tests.plugins.arm import LifeboatEnv
from tests.support.images import driver
from tests.support.vms import post as protect
from tests.support.vms import tagged_vm, vm_id

pytestmark = [
    pytest.mark.azurite,
    pytest.mark.emulator,
    pytest.mark.skipif(
        shutil.which("chromedriver") is None, reason="run .ci/install-browser.sh (make setup)"
    ),
]

KEY = "local-test-key"


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
def seeded(lifeboat_env: LifeboatEnv) -> LifeboatEnv:
    """web1 protected (snapshots in DR, its recovery manifest in DR storage) and `odd`, whose
    tag value Lifeboat refuses (unprotected, with a finding)."""
    lifeboat_env.arm.seed(
        {
            "resources": [
                tagged_vm("web1", data_disks=1),
                tagged_vm("odd", mode="sometimes", data_disks=0),
            ]
        }
    )
    reconcile(TimerRequest(past_due=True))  # discovery
    assert protect({"vmId": vm_id("web1")})[0] == 202
    with driver(lifeboat_env.arm) as d:
        assert d.run() is True
    return lifeboat_env


def _plan_from_an_alert(env: LifeboatEnv, host: LocalHost) -> str:
    """East US down, its Service Health alert POSTed to the app's HTTP front: the real plan."""
    env.arm.faults.region_down("eastus")
    _declare(env)
    answer = requests.post(
        f"{host.url}/api/service-health", params={"code": KEY}, json=_webhook(env), timeout=30
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["action"] == "awaiting_approval"
    plan_id: str = body["plan"]["planId"]
    return plan_id


def _result(browser: Any, plan_id: str, text: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    where = (By.CSS_SELECTOR, f'#plans .plan[data-plan="{plan_id}"] .result')
    WebDriverWait(browser, 15).until(
        ec.text_to_be_present_in_element_attribute(where, "textContent", text)
    )
    return browser.find_element(*where)


def test_page_shows_items_worst_first_and_approves_a_real_plan_once(
    seeded: LifeboatEnv, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    host = LocalHost(KEY).start()
    try:
        plan_id = _plan_from_an_alert(seeded, host)
        page = f"{host.url}/api/dashboard?code={KEY}"
        browser.get(page)
        first = browser.current_window_handle
        assert browser.title == "Lifeboat readiness"
        items = browser.find_elements(By.CSS_SELECTOR, "#ledger .item")
        assert [i.find_element(By.CSS_SELECTOR, ".name").text for i in items] == ["odd", "web1"]
        assert [i.get_attribute("data-state") for i in items] == ["unprotected", "ok"]
        assert "2 items in the ledger" in browser.find_element(By.ID, "totals").text
        assert "lifeboat-mode" in browser.find_element(By.ID, "findings").text
        assert "no drills yet" in browser.find_element(By.ID, "drills").text
        plans = browser.find_elements(By.CSS_SELECTOR, "#plans .plan")
        assert [p.get_attribute("data-plan") for p in plans] == [plan_id]
        assert plans[0].find_element(By.CSS_SELECTOR, ".state").text == "awaiting approval"

        # A second operator has the same page open.
        browser.switch_to.new_window("tab")
        browser.get(page)
        second = browser.current_window_handle

        browser.switch_to.window(first)
        browser.find_element(By.ID, "approver").send_keys("ops@example.com")
        button = browser.find_element(By.CSS_SELECTOR, "button.approve")
        button.click()
        assert _result(browser, plan_id, "200").text == "approved (200)"
        assert plans[0].find_element(By.CSS_SELECTOR, ".state").text == "approved"
        assert not button.is_enabled()
        stored = get_deps().plans.get(plan_id)
        assert stored is not None and stored.status.approved_by == "ops@example.com"

        browser.switch_to.window(second)
        browser.find_element(By.ID, "approver").send_keys("late@example.com")
        again = browser.find_element(By.CSS_SELECTOR, "button.approve")
        again.click()
        assert _result(browser, plan_id, "409").text == "cannot be approved now (409)"
        assert again.is_enabled()
        stored = get_deps().plans.get(plan_id)
        assert stored is not None and stored.status.approved_by == "ops@example.com"

        browser.get(page)  # reloaded: approved, nothing left to approve
        plan = browser.find_element(By.CSS_SELECTOR, f'#plans .plan[data-plan="{plan_id}"]')
        assert plan.find_element(By.CSS_SELECTOR, ".state").text == "approved"
        assert "approved by ops@example.com" in plan.text
        assert browser.find_elements(By.CSS_SELECTOR, "button.approve") == []
    finally:
        host.stop()


def test_approving_without_a_name_is_refused_and_changes_nothing(
    seeded: LifeboatEnv, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    host = LocalHost(KEY).start()
    try:
        plan_id = _plan_from_an_alert(seeded, host)
        browser.get(f"{host.url}/api/dashboard?code={KEY}")
        browser.find_element(By.CSS_SELECTOR, "button.approve").click()
        assert _result(browser, plan_id, "400").text == "who approves? (400)"
        stored = get_deps().plans.get(plan_id)
        assert stored is not None and stored.status.state.value == "awaiting_approval"
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
        assert "no open plans" in browser.find_element(By.ID, "plans").text
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the phone
        browser.get(f"{host.url}/api/dashboard")  # no key: the host refuses
        assert "Lifeboat readiness" not in browser.page_source
    finally:
        host.stop()
    assert seeded.arm.log.entries() == []  # DR-region storage only


def test_a_finished_drill_shows_in_the_drill_history(
    lifeboat_env: LifeboatEnv, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By

    _protected(lifeboat_env, monkeypatch, "web1")
    host = LocalHost(KEY).start()
    try:
        answer = requests.post(f"{host.url}/api/drills", params={"code": KEY}, json={}, timeout=30)
        assert answer.status_code == 202, answer.text
        drill_id = answer.json()["drillId"]
        browser.get(f"{host.url}/api/dashboard?code={KEY}")
        assert "no drills yet" in browser.find_element(By.ID, "drills").text  # still running
        with driver(lifeboat_env.arm) as d:
            assert d.run() is True
        browser.get(f"{host.url}/api/dashboard?code={KEY}")
        (row,) = browser.find_elements(By.CSS_SELECTOR, "#drills .drill")
        assert row.get_attribute("data-drill") == drill_id
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert cells[0] == drill_id and cells[3:] == ["passed", "complete"]
        assert "cleanup incomplete" not in browser.find_element(By.ID, "drills").text
    finally:
        host.stop()
