"""Chaos suite plumbing: the `chaos` marker, secret scanning of every log record, one figures line.

Tests under tests/chaos get the `chaos` marker (select or skip them with `-m chaos`). While
they run, a handler on the root logger sees every record the app (and the SDKs, at the levels
shared.logging_setup gives them) emits and scans its message, arguments and `extra` fields for
credentials; a leak fails the test that logged it. The suite adds its figures (`tally(...)`),
and pytest_terminal_summary prints them on one line, merged across xdist workers the way
tests/plugins/rbac_audit.py merges its audit.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHAOS_DIR = Path(__file__).resolve().parents[1] / "chaos"

# What a credential looks like in text: a SAS signature, a storage account key (in a connection
# string or alone: 64 bytes of base64), a bearer token, a connection string.
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "SAS signature": re.compile(r"(?i)(?:^|[?&\s\"'])sig=[A-Za-z0-9%+/=]{10,}"),
    "account key": re.compile(r"(?i)AccountKey=|\b[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
    "bearer token": re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    "connection string": re.compile(
        r"(?i)DefaultEndpointsProtocol=|SharedAccessSignature=|(?:Blob|Queue|Table)Endpoint="
    ),
}
_STANDARD = set(vars(logging.makeLogRecord({})))

_figures: Counter[str] = Counter()
# Order of the summary line; other figures follow alphabetically.
ORDER = (
    "scenarios",
    "kill points",
    "kills",
    "faults injected",
    "fuzz cases",
    "5xx",
    "unhandled",
    "leaks",
    "duplicates",
    "orphans",
)


def tally(figure: str, amount: int = 1) -> None:
    """Add `amount` to one figure of the summary line."""
    _figures[figure] += amount


def leaks_in(record: logging.LogRecord) -> list[str]:
    """Return the kinds of credential found anywhere in `record` (empty when clean)."""
    try:
        texts = [record.getMessage()]
    except (TypeError, ValueError):
        texts = [str(record.msg), *map(str, record.args or ())]
    texts += [str(v) for k, v in vars(record).items() if k not in _STANDARD]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append(str(record.exc_info[1]))
    return [kind for kind, pattern in SECRET_PATTERNS.items() if any(map(pattern.search, texts))]


class SecretScanner(logging.Handler):
    """Scans every record handed to it; keeps what leaked, never the secret itself."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records = 0
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        for kind in leaks_in(record):
            where = f"{record.name} ({record.pathname}:{record.lineno})"
            self.found.append(f"{kind} in a record of {where}")


def _in_chaos(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(CHAOS_DIR)


def printable(text: str) -> str:
    """`text` with anything UTF-8 cannot carry (lone surrogates) as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    """Keep chaos reports UTF-8: fuzz input (and what the app logged of it) may hold lone
    surrogates, which xdist cannot send from a worker to the controller."""
    outcome = yield
    if not _in_chaos(item):
        return
    report = outcome.get_result()
    report.sections = [(name, printable(text)) for name, text in report.sections]
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        report.longrepr = printable(str(report.longrepr))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/chaos with `chaos`."""
    for item in items:
        if _in_chaos(item):
            item.add_marker(pytest.mark.chaos)


@pytest.fixture(autouse=True)
def _chaos_log_scan(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under tests/chaos: fail the test when any log record it caused carries a credential."""
    if not _in_chaos(request.node):
        yield
        return
    from shared.logging_setup import configure_logging

    configure_logging()  # the levels the deployed app runs with (function_app does the same)
    scanner = SecretScanner()
    root = logging.getLogger()
    root.addHandler(scanner)
    try:
        yield
    finally:
        root.removeHandler(scanner)
    tally("log records", scanner.records)
    tally("leaks", len(scanner.found))
    if scanner.found:
        pytest.fail("credentials in log records:\n" + "\n".join(sorted(set(scanner.found))))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand this worker's figures to the xdist controller (no-op without xdist)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["chaos"] = dict(_figures)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Merge a finished xdist worker's figures."""
    figures = getattr(node, "workeroutput", {}).get("chaos")
    if figures:
        _figures.update(figures)


def summary_line(figures: Counter[str]) -> str:
    """Return the one line of figures, in ORDER, then the rest alphabetically."""
    names = [n for n in ORDER if n in figures or n in ("5xx", "leaks", "unhandled")]
    names += sorted(set(figures) - set(names))
    return "chaos: " + ", ".join(f"{figures.get(n, 0)} {n}" for n in names)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line of the suite's figures (nothing when no chaos test ran)."""
    if _figures.get("scenarios") or _figures.get("fuzz cases") or _figures.get("log records"):
        terminalreporter.write_line(summary_line(_figures))
