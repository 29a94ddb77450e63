"""TableRight and FieldProperties for admins, owners and other users (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime

from batchtask.domain.rights import OWNER_RIGHTS, READER_RIGHTS, rights_for
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask
from batchtask.domain.user import AuthMethod, Principal, Role, User


def task(owner: int) -> BatchTask:
    """A task owned by ``owner``."""
    return BatchTask(
        id=1, name="x", associate_id=owner, details_table=0, details_record=0, is_internal=False,
        parameters={}, last_started=None, created=datetime(2026, 1, 1, tzinfo=UTC), start_count=0,
        database_serial_number="", context="", result="", state=BatchTaskState.New,
        description="", response="", request="", progress_description="", progress_percent=0,
        file_name="", cancellation_behaviour=CancellationBehaviour.CanCancel,
    )  # fmt: skip


def principal(associate_id: int, role: Role = Role.user) -> Principal:
    """A caller."""
    return Principal(User(associate_id, f"u{associate_id}", "", role, True, "h"), AuthMethod.ticket)


def test_admin_has_full_rights_on_every_task() -> None:
    """Admins get FULL, also on system and other users' tasks."""
    admin = principal(1, Role.admin)
    assert rights_for(admin, task(0)) is OWNER_RIGHTS
    assert rights_for(admin, task(7)) is OWNER_RIGHTS


def test_owner_full_others_select() -> None:
    """Owners get FULL; other users and system tasks give Select with a reason."""
    assert rights_for(principal(7), task(7)) is OWNER_RIGHTS
    assert rights_for(principal(8), task(7)) is READER_RIGHTS
    assert rights_for(principal(7), task(0)) is READER_RIGHTS
    assert READER_RIGHTS.table.mask == 1
    assert READER_RIGHTS.table.reason == "[SR_BATCH_RIGHT_NOT_OWNER]"
    assert OWNER_RIGHTS.table.reason == ""


def test_field_properties_cover_the_22_fields_with_clr_types() -> None:
    """22 entries; only State/Description/Response/Request are updatable, and only for owners."""
    fields = dict(OWNER_RIGHTS.fields)
    assert len(fields) == 22
    assert {name for name, prop in fields.items() if prop.right.mask == 3} == {
        "State",
        "Description",
        "Response",
        "Request",
    }
    assert all(prop.right.mask == 1 for _, prop in READER_RIGHTS.fields)
    assert (fields["DetailsTable"].field_type, fields["DetailsTable"].field_length) == (
        "System.Int16",
        2,
    )
    assert (fields["LastStarted"].field_type, fields["LastStarted"].field_length) == (
        "System.DateTime",
        16,
    )
    assert (fields["IsSystemTask"].field_type, fields["IsSystemTask"].field_length) == (
        "System.Boolean",
        2,
    )
    assert (fields["FileName"].field_type, fields["FileName"].field_length) == (
        "System.String",
        260,
    )
    assert fields["Context"].field_length == 0
    assert fields["ParameterObject"].field_type == "SuperOffice.Util.StringDictionary"
    assert fields["State"].field_type == "SuperOffice.CRM.Services.BatchTaskState"
