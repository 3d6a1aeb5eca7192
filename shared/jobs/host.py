"""What the Functions host does with job messages; mirrors host.json (a test checks they agree)."""

from __future__ import annotations

# host.json extensions.queues.maxDequeueCount: the delivery after which the host poisons a message.
MAX_DEQUEUE_COUNT = 5
# host.json extensions.queues.visibilityTimeout: how long a failed message stays hidden.
VISIBILITY_TIMEOUT_SECONDS = 30.0
