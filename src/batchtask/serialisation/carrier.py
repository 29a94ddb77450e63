"""The ``BatchTaskInfo`` carrier: a stored task rendered for one caller (SPEC §2, §6).

Fields go out in SPEC §2 order. Strings are never ``null`` (``""`` when empty) except where
``$select`` nulls them; enums are member names; ``LastStarted`` is a base-zone value converted to
the requested zone, ``Created`` is UTC and never converted; translatable strings pass through the
request's translator. ``TableRight`` and ``FieldProperties`` depend only on the caller's rights and
language, so their rendered form is cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from batchtask.domain.flags import FIELD_RIGHT, TABLE_RIGHT
from batchtask.domain.rights import FIELD_TYPES, TaskRights
from batchtask.domain.task import BatchTask
from batchtask.i18n.translator import Translator
from batchtask.serialisation.dates import render_local, render_utc
from batchtask.serialisation.render import render_json
from batchtask.serialisation.wire import KeyValues
from batchtask.serialisation.xml import render_xml

CARRIER = "BatchTaskInfo"
#: The 24 carrier fields in wire order.
FIELDS: tuple[str, ...] = (*(name for name, _ in FIELD_TYPES), "TableRight", "FieldProperties")
_FIELD_BY_KEY = {name.casefold(): name for name in FIELDS}


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How one request wants carriers rendered."""

    translator: Translator
    #: Zone for base-zone dates: the SO-TimeZone zone, else the server's base zone.
    zone: ZoneInfo
    #: ``SO-TimeZone: …, includeTZOffset``.
    offset: bool = False
    #: ``$select``: canonical field names to keep; ``None`` keeps everything.
    select: frozenset[str] | None = None


def parse_select(text: str) -> frozenset[str]:
    """Canonical field names of a ``$select`` list (case-insensitive); ``ValueError`` naming unknowns.

    ``Id`` is always kept. Nested paths (``TableRight/Mask``) select their top-level field.
    """
    names = {"Id"}
    unknown = []
    for raw in text.split(","):
        part = raw.strip().split("/", 1)[0].split(".", 1)[0].strip()
        if not part:
            continue
        name = _FIELD_BY_KEY.get(part.casefold())
        if name is None:
            unknown.append(raw.strip())
        else:
            names.add(name)
    if unknown:
        raise ValueError(f"unknown field(s) in $select: {', '.join(unknown)}")
    return frozenset(names)


def rights_wire(
    rights: TaskRights, translate: Callable[[str], str]
) -> tuple[dict[str, Any], KeyValues]:
    """``TableRight`` and ``FieldProperties`` in wire form."""
    table = {
        "Mask": TABLE_RIGHT.format(rights.table.mask),
        "Reason": translate(rights.table.reason),
    }
    fields = KeyValues()
    for name, prop in rights.fields:
        fields[name] = {
            "FieldRight": {
                "Mask": FIELD_RIGHT.format(prop.right.mask),
                "Reason": translate(prop.right.reason),
            },
            "FieldType": prop.field_type,
            "FieldLength": prop.field_length,
        }
    return table, fields


@lru_cache(maxsize=64)
def cached_rights_wire(
    rights: TaskRights, translator: Translator
) -> tuple[dict[str, Any], KeyValues]:
    """``rights_wire`` for one (rights, language): the same for every task and request."""
    return rights_wire(rights, translator.text)


@lru_cache(maxsize=4096)
def _local_text(value: datetime | None, zone: ZoneInfo, offset: bool) -> str:
    """``render_local``, remembered: the same instants are rendered again and again."""
    return render_local(value, zone, offset=offset)


@lru_cache(maxsize=4096)
def _utc_text(value: datetime, offset: bool) -> str:
    """``render_utc``, remembered."""
    return render_utc(value, offset=offset)


def _head(task: BatchTask, options: RenderOptions) -> dict[str, Any]:
    """The 22 data fields of the carrier (everything but TableRight and FieldProperties)."""
    text = options.translator.text
    return {
        "Id": task.id,
        "Name": text(task.name),
        "AssociateId": task.associate_id,
        "DetailsTable": task.details_table,
        "DetailsRecord": task.details_record,
        "IsSystemTask": task.is_system,
        "IsInternalTask": task.is_internal,
        "ParameterObject": KeyValues(task.parameters),
        "LastStarted": _local_text(task.last_started, options.zone, options.offset),
        "Created": _utc_text(task.created, options.offset),
        "StartCount": task.start_count,
        "DatabaseSerialNumber": task.database_serial_number,
        "Context": task.context,
        "Result": text(task.result),
        "State": task.state.name,
        "Description": text(task.description),
        "Response": text(task.response),
        "Request": task.request,
        "ProgressDescription": text(task.progress_description),
        "ProgressPercent": task.progress_percent,
        "FileName": task.file_name,
        "CancellationBehaviour": task.cancellation_behaviour.name,
    }


def batch_task_info(task: BatchTask, rights: TaskRights, options: RenderOptions) -> dict[str, Any]:
    """The carrier of ``task`` as the caller may see it."""
    info = _head(task, options)
    info["TableRight"], info["FieldProperties"] = cached_rights_wire(rights, options.translator)
    if options.select is not None:
        keep = options.select
        for name in FIELDS:
            if name not in keep:
                info[name] = None
    return info


_XML_CLOSE = b"</BatchTaskInfo>"


@lru_cache(maxsize=128)
def _rendered_tail(rights: TaskRights, translator: Translator, xml: bool) -> bytes:
    """``TableRight`` and ``FieldProperties`` rendered once per (rights, language, format)."""
    table, fields = cached_rights_wire(rights, translator)
    if not xml:
        return (
            b',"TableRight":'
            + render_json(table)
            + b',"FieldProperties":'
            + render_json(fields)
            + b"}"
        )
    document = render_xml("x", {"TableRight": table, "FieldProperties": fields})
    inner = document[document.index(b">", document.index(b"<x")) + 1 : -len(b"</x>")]
    return inner + _XML_CLOSE


class _BodyCache:
    """Rendered carriers by everything that changes their bytes, bounded by count and bytes.

    The key is every rendered field of the task as read (its ``updated`` too), the caller's
    rights, the translator (language and culture), zone, offset flag, ``$select`` and format.
    ParameterObject and Created are left out: they never change after a task is created, and
    ids are never reused. So a hit is byte-identical to rendering again, whatever changed in
    between, in this process or another: a changed task reads back as a different key.
    """

    def __init__(self, entries: int = 4096, size: int = 16 * 1024 * 1024) -> None:
        self._entries = entries
        self._size = size
        self._bytes = 0
        self._bodies: OrderedDict[tuple[object, ...], bytes] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: tuple[object, ...], body: bytes) -> None:
        if len(body) > self._size // 64:
            return
        self._bodies[key] = body
        self._bytes += len(body)
        while len(self._bodies) > self._entries or self._bytes > self._size:
            _, dropped = self._bodies.popitem(last=False)
            self._bytes -= len(dropped)


_BODIES = _BodyCache()


def _body_key(
    task: BatchTask, rights: TaskRights, options: RenderOptions, xml: bool
) -> tuple[object, ...]:
    return (
        task.id, task.updated, task.state, task.start_count, task.last_started,
        task.progress_percent, task.progress_description, task.result, task.response,
        task.description, task.request, task.name, task.cancellation_behaviour, task.file_name,
        task.context, task.database_serial_number, task.details_table, task.details_record,
        task.is_internal, task.associate_id, rights, options.translator, options.zone,
        options.offset, options.select, xml,
    )  # fmt: skip


def render_carrier(
    task: BatchTask, rights: TaskRights, options: RenderOptions, *, xml: bool
) -> bytes:
    """The carrier's bytes, from the body cache when nothing that shapes them has changed."""
    key = _body_key(task, rights, options, xml)
    body = _BODIES.get(key)
    if body is None:
        body = _render_carrier(task, rights, options, xml=xml)
        _BODIES.put(key, body)
    return body


def _render_carrier(
    task: BatchTask, rights: TaskRights, options: RenderOptions, *, xml: bool
) -> bytes:
    """The carrier's bytes; byte-identical to rendering ``batch_task_info`` whole.

    Why: ``FieldProperties`` is two thirds of every carrier and the same for every task a caller
    reads in one language, so only the 22 data fields are encoded per request and the rest is
    appended from a cache. With ``$select`` the whole carrier is rendered the ordinary way.
    """
    if options.select is not None:
        info = batch_task_info(task, rights, options)
        return render_xml(CARRIER, info) if xml else render_json(info)
    head = _head(task, options)
    tail = _rendered_tail(rights, options.translator, xml)
    if xml:
        return render_xml(CARRIER, head)[: -len(_XML_CLOSE)] + tail
    return render_json(head)[:-1] + tail
