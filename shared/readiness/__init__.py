"""The RPO ledger: every protected item in one shape, read from DR-region storage only.

Each feature contributes its items through a small function registered in
`shared.features.LEDGER_CONTRIBUTORS` (images, VMs, templates); `shared.readiness.ledger`
sorts, totals and pages them for GET /api/status and the dashboard.
"""
