"""Stateless VM protection: the pure decision core (tags, schedules, sets, copies, retention)."""
