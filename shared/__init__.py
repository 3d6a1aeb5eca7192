"""Lifeboat's logic: events, planning, jobs, services and the narrow Azure access modules."""
