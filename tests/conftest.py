"""Test-session wiring: local Azure stand-ins and payload loading live in tests/plugins."""

pytest_plugins = [
    "tests.plugins.payloads",
    "tests.plugins.storage",
    "tests.plugins.arm",
    "tests.plugins.rbac_audit",
    "tests.plugins.chaos",
]
