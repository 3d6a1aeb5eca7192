"""Lifeboat's own events (CloudEvents 1.0 on its Event Grid topic): types, subjects, data.

A job step publishes with `ctx.emit(*event)`, where `event` is built here; the job's outbox
(shared/jobs/outbox.py) publishes it after the step's write. Each type's data has a JSON Schema
in docs/events/<type>.v1.schema.json.
"""
