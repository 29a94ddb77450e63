"""What a caller may do with a task: ``TableRight`` and ``FieldProperties`` (SPEC §6).

Admins and owners get ``FULL``; everyone else may read (``Select``). Field rights follow: the four
updatable fields are ``Update`` when the caller may change the task, every other field is ``Read``.
The results depend only on (may the caller change the task?), so both variants are built once.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchtask.domain.task import FIELD_LENGTHS, BatchTask
from batchtask.domain.user import Principal

FULL = 15
SELECT = 1
FIELD_READ = 1
FIELD_UPDATE = 3

REASON_NOT_OWNER = "[SR_BATCH_RIGHT_NOT_OWNER]"
REASON_READ_ONLY_FIELD = "[SR_BATCH_RIGHT_FIELD_READONLY]"

UPDATABLE_FIELDS = ("State", "Description", "Response", "Request")

_INT32 = ("System.Int32", 4)
_INT16 = ("System.Int16", 2)
_BOOL = ("System.Boolean", 2)
_DATE = ("System.DateTime", 16)


def _string(field: str) -> tuple[str, int]:
    return ("System.String", FIELD_LENGTHS[field])


#: The 22 data fields of BatchTaskInfo in carrier order, with CLR type name and length.
FIELD_TYPES: tuple[tuple[str, tuple[str, int]], ...] = (
    ("Id", _INT32),
    ("Name", _string("Name")),
    ("AssociateId", _INT32),
    ("DetailsTable", _INT16),
    ("DetailsRecord", _INT32),
    ("IsSystemTask", _BOOL),
    ("IsInternalTask", _BOOL),
    ("ParameterObject", ("SuperOffice.Util.StringDictionary", 0)),
    ("LastStarted", _DATE),
    ("Created", _DATE),
    ("StartCount", _INT32),
    ("DatabaseSerialNumber", _string("DatabaseSerialNumber")),
    ("Context", _string("Context")),
    ("Result", _string("Result")),
    ("State", ("SuperOffice.CRM.Services.BatchTaskState", 4)),
    ("Description", _string("Description")),
    ("Response", _string("Response")),
    ("Request", _string("Request")),
    ("ProgressDescription", _string("ProgressDescription")),
    ("ProgressPercent", _INT16),
    ("FileName", _string("FileName")),
    ("CancellationBehaviour", ("SuperOffice.CRM.Services.BatchTaskCancellationBehaviour", 4)),
)


@dataclass(frozen=True, slots=True)
class Right:
    """A ``TableRight`` or ``FieldRight``: a flags mask and the reason it is not full."""

    mask: int
    reason: str


@dataclass(frozen=True, slots=True)
class FieldProperty:
    """One entry of ``FieldProperties``."""

    right: Right
    field_type: str
    field_length: int


@dataclass(frozen=True, slots=True, eq=False)
class TaskRights:
    """Everything the carrier says about the caller's rights on one task.

    Compared and hashed by identity: there are exactly two (``OWNER_RIGHTS``, ``READER_RIGHTS``),
    and renderers cache per rights object, so hashing must not walk 22 nested entries.
    """

    table: Right
    fields: tuple[tuple[str, FieldProperty], ...]
    may_update: bool


def _build(may_update: bool) -> TaskRights:
    fields = []
    for name, (clr_type, length) in FIELD_TYPES:
        if may_update and name in UPDATABLE_FIELDS:
            right = Right(FIELD_UPDATE, "")
        elif may_update:
            right = Right(FIELD_READ, REASON_READ_ONLY_FIELD)
        else:
            right = Right(FIELD_READ, REASON_NOT_OWNER)
        fields.append((name, FieldProperty(right, clr_type, length)))
    table = Right(FULL, "") if may_update else Right(SELECT, REASON_NOT_OWNER)
    return TaskRights(table, tuple(fields), may_update)


OWNER_RIGHTS = _build(may_update=True)
READER_RIGHTS = _build(may_update=False)


def may_change(principal: Principal, task: BatchTask) -> bool:
    """Admins may change every task; users only the tasks they own (never system tasks)."""
    if principal.is_admin:
        return True
    return not task.is_system and task.associate_id == principal.associate_id


def rights_for(principal: Principal, task: BatchTask) -> TaskRights:
    """The caller's rights on ``task``."""
    return OWNER_RIGHTS if may_change(principal, task) else READER_RIGHTS


def may_read(principal: Principal, associate_id: int) -> bool:
    """Whether a caller may see a task of ``associate_id`` (the live stream filters on it).

    SPEC §6: every user may read every task — their own with ``FULL``, everyone else's and the
    system's with ``Select`` — so this holds for every authenticated caller; it is the one place
    to narrow when tenants or hidden tasks arrive.
    """
    del principal, associate_id  # the same answer for every task today
    return True
