"""Outage response: the pure decision core (ledger, matching, DR plans, approval, ordering)."""
