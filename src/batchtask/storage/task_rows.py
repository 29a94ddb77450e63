"""One task row (``{_task_columns}`` of ``sql/shared.sql``) as a ``BatchTask``."""

from __future__ import annotations

from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask
from batchtask.storage import parameter_blobs
from batchtask.storage.database import Database, Row

#: Stored state numbers → states (an unknown number reads as ``Unknown``).
STATES = {member.value: member for member in BatchTaskState}
_CANCELLATION = {member.value: member for member in CancellationBehaviour}
#: Index of ``releasecount`` in a task row (read by claims, not part of ``BatchTask``).
RELEASES = 27


def state(value: object) -> BatchTaskState:
    """A stored state number as a state."""
    return (
        STATES.get(value, BatchTaskState.Unknown)
        if isinstance(value, int)
        else BatchTaskState.Unknown
    )


def task_from_row(db: Database, row: Row) -> BatchTask:
    """Map one ``{_task_columns}`` row."""
    created = db.instant(row[8])
    assert created is not None  # noqa: S101 - NOT NULL column
    return BatchTask(
        id=row[0],
        name=row[1],
        associate_id=row[2],
        details_table=row[3],
        details_record=row[4],
        is_internal=bool(row[5]),
        parameters=parameter_blobs.decode(row[6]),
        last_started=db.instant(row[7]),
        created=created,
        start_count=row[9],
        database_serial_number=row[10],
        context=row[11],
        result=row[12],
        state=STATES.get(row[13], BatchTaskState.Unknown),
        description=row[14],
        response=row[15],
        request=row[16],
        progress_description=row[17],
        progress_percent=row[18],
        file_name=row[19],
        cancellation_behaviour=_CANCELLATION.get(row[20], CancellationBehaviour.CanCancel),
        updated=db.instant(row[21]),
        definition_id=row[22],
        lease_owner=row[23],
        lease_expires=db.instant(row[24]),
        cancel_requested=db.instant(row[25]),
        run_after=db.instant(row[26]),
    )
