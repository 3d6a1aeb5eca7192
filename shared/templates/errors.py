"""Template DR's permanent errors: each names the request field and maps to one 4xx answer."""

from __future__ import annotations

from shared.errors import InvalidInput


class TemplateNotFound(InvalidInput):
    """The image template does not exist (answer 404)."""


class BackupNotFound(InvalidInput):
    """No backup of the template, or not the requested one, exists in DR storage (answer 404)."""


class RestoreConflict(InvalidInput):
    """A different template already holds the DR name; Image Builder refuses a PUT (answer 409)."""


class RestoreRejected(InvalidInput):
    """Azure refused the DR template (bad source, missing group, validation): answer 422."""


class BackupDamaged(BackupNotFound):
    """A backup blob in DR storage cannot be read (answer 404 naming it).

    `etag` is the damaged pointer blob's ETag, so a new backup can replace exactly that blob.
    """

    def __init__(self, field: str, message: str, etag: str | None = None) -> None:
        super().__init__(field, message)
        self.etag = etag
