"""Manual template DR request bodies: strict parsing, every error names its field."""

from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.templates.requests import (
    BackupRequest,
    RestoreRequest,
    parse_backup_request,
    parse_restore_request,
)

TID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/app"
    "/providers/Microsoft.VirtualMachineImages/imageTemplates/web"
)


def test_backup_of_one_template() -> None:
    request = parse_backup_request(f'{{"templateId": "{TID}"}}'.encode())
    assert isinstance(request, BackupRequest)
    assert not request.all and str(request.template_id) == TID


def test_backup_of_all_templates() -> None:
    assert parse_backup_request(b'{"all": true}') == BackupRequest(None, True)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b"{}", "templateId"),
        (b'{"all": "yes"}', "all"),
        (b'{"all": false}', "templateId"),
        (f'{{"all": true, "templateId": "{TID}"}}'.encode(), "templateId"),
        (b'{"templateId": "/subscriptions/s/resourceGroups/rg"}', "templateId"),
        (b'{"templateId": 42}', "templateId"),
        (b'{"templateid": "x"}', "templateid"),
    ],
)
def test_bad_backup_requests_name_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_backup_request(raw)
    assert err.value.field == field


def test_empty_body_is_not_an_object() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_restore_request(b"")
    assert err.value.field == "body"


def test_restore_defaults_to_the_latest_backup_and_a_real_run() -> None:
    request = parse_restore_request(f'{{"templateId": "{TID}"}}')
    assert request == RestoreRequest(request.template_id, "latest", False, None)


def test_restore_accepts_a_hash_prefix_a_dry_run_and_a_new_name() -> None:
    raw = f'{{"templateId": "{TID}", "backup": "ABCDEF0123", "dryRun": true, "name": "web-2"}}'
    request = parse_restore_request(raw)
    assert (request.backup, request.dry_run, request.name) == ("abcdef0123", True, "web-2")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ('"dryRun": "true"', "dryRun"),
        ('"dryRun": 1', "dryRun"),
        ('"dryrun": true', "dryrun"),
        ('"backup": 5', "backup"),
        ('"backup": "abc"', "backup"),
        ('"backup": "not-a-hash!"', "backup"),
        ('"name": "bad name"', "name"),
        ('"name": 7', "name"),
    ],
)
def test_bad_restore_fields_are_refused_by_name(extra: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_restore_request(f'{{"templateId": "{TID}", {extra}}}')
    assert err.value.field == field


def test_restore_without_template_id_names_it() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_restore_request(b'{"dryRun": true}')
    assert err.value.field == "templateId"
