"""``GET /api/v1/Archive/BatchTasks$metadata``: the columns of the ``BatchTasks`` archive provider.

The shape is SuperOffice's (reference §5.9, META): an object keyed by column name, each column
``{DisplayName, DisplayTooltip, DisplayType, CanOrderBy, Name, CanRestrictBy, RestrictionType,
RestrictionListName, IsVisible, ExtraInfo, Width, IconHint, HeadingIconHint}``, in the provider
page's order. As META shows, without ``Accept-Language``/``SO-Language`` the display texts are the
untranslated resource references (``[SR_BATCHTASKS_STATE]``) and with a language they are the
text -- the English catalogue holds the provider page's own wording, typos included
("Defintion id"). ``getAllRows``/``getNoRows`` carry literal English, as in META's sample.

What the provider page does not say is our choice (``docs/decisions.md``): ``DisplayType`` is the
restriction type (``checkbox`` for booleans, as META's sample), ``Width`` a SuperOffice-style
width by type, ``RestrictionListName`` ``associate`` for the associate columns, hints empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from batchtask.domain.archive import ArchiveColumn, RestrictionType
from batchtask.i18n.translator import Translator

#: Resource references of each column's DisplayName and DisplayTooltip.
RESOURCES: dict[str, tuple[str, str]] = {
    "DefinitionId": ("[SR_BATCHTASKS_DEFINITION_ID]", "[SR_BATCHTASKS_DEFINITION_ID_TOOLTIP]"),
    "DefinitionName": (
        "[SR_BATCHTASKS_DEFINITION_NAME]",
        "[SR_BATCHTASKS_DEFINITION_NAME_TOOLTIP]",
    ),
    "DefinitionDescription": (
        "[SR_BATCHTASKS_DEFINITION_DESCRIPTION]",
        "[SR_BATCHTASKS_DEFINITION_DESCRIPTION_TOOLTIP]",
    ),
    "DefinitionTimeOut": (
        "[SR_BATCHTASKS_DEFINITION_TIMEOUT]",
        "[SR_BATCHTASKS_DEFINITION_TIMEOUT_TOOLTIP]",
    ),
    "Description": ("[SR_BATCHTASKS_DESCRIPTION]", "[SR_BATCHTASKS_DESCRIPTION_TOOLTIP]"),
    "DbTag": ("[SR_BATCHTASKS_DBTAG]", "[SR_BATCHTASKS_DBTAG_TOOLTIP]"),
    "State": ("[SR_BATCHTASKS_STATE]", "[SR_BATCHTASKS_STATE_TOOLTIP]"),
    "DetailsTable": ("[SR_BATCHTASKS_DETAILS_TABLE]", "[SR_BATCHTASKS_DETAILS_TABLE_TOOLTIP]"),
    "DetailsRecord": ("[SR_BATCHTASKS_DETAILS_RECORD]", "[SR_BATCHTASKS_DETAILS_RECORD_TOOLTIP]"),
    "Request": ("[SR_BATCHTASKS_REQUEST]", "[SR_BATCHTASKS_REQUEST_TOOLTIP]"),
    "Response": ("[SR_BATCHTASKS_RESPONSE]", "[SR_BATCHTASKS_RESPONSE_TOOLTIP]"),
    "StartCount": ("[SR_BATCHTASKS_START_COUNT]", "[SR_BATCHTASKS_START_COUNT_TOOLTIP]"),
    "LastStarted": ("[SR_BATCHTASKS_LAST_STARTED]", "[SR_BATCHTASKS_LAST_STARTED_TOOLTIP]"),
    "ProgressPercent": (
        "[SR_BATCHTASKS_PROGRESS_PERCENT]",
        "[SR_BATCHTASKS_PROGRESS_PERCENT_TOOLTIP]",
    ),
    "ProgressDescription": (
        "[SR_BATCHTASKS_PROGRESS_DESCRIPTION]",
        "[SR_BATCHTASKS_PROGRESS_DESCRIPTION_TOOLTIP]",
    ),
    "updatedBy": ("[SR_BATCHTASKS_UPDATED_BY]", "[SR_BATCHTASKS_UPDATED_BY_TOOLTIP]"),
    "updatedDate": ("[SR_BATCHTASKS_UPDATED_DATE]", "[SR_BATCHTASKS_UPDATED_DATE_TOOLTIP]"),
    "registeredBy": ("[SR_BATCHTASKS_REGISTERED_BY]", "[SR_BATCHTASKS_REGISTERED_BY_TOOLTIP]"),
    "registeredDate": (
        "[SR_BATCHTASKS_REGISTERED_DATE]",
        "[SR_BATCHTASKS_REGISTERED_DATE_TOOLTIP]",
    ),
}

_DISPLAY_TYPES = {
    RestrictionType.BOOL: "checkbox",
    RestrictionType.INT: "int",
    RestrictionType.STRING: "string",
    RestrictionType.DATE: "date",
    RestrictionType.ASSOCIATE: "associate",
}
_WIDTHS = {
    RestrictionType.BOOL: "4c",
    RestrictionType.INT: "5c",
    RestrictionType.STRING: "25%",
    RestrictionType.DATE: "9c",
    RestrictionType.ASSOCIATE: "12c",
}


def column_info(column: ArchiveColumn, translator: Translator) -> dict[str, Any]:
    """One column's ``ArchiveColumnInfo``."""
    name, tooltip = RESOURCES.get(column.name, (column.display_name, column.tooltip))
    kind = column.restriction_type
    return {
        "DisplayName": translator.text(name),
        "DisplayTooltip": translator.text(tooltip),
        "DisplayType": _DISPLAY_TYPES[kind],
        "CanOrderBy": column.can_order_by,
        "Name": column.name,
        "CanRestrictBy": True,
        "RestrictionType": kind.value,
        "RestrictionListName": "associate" if kind is RestrictionType.ASSOCIATE else None,
        "IsVisible": column.is_visible,
        "ExtraInfo": "",
        "Width": _WIDTHS[kind],
        "IconHint": "",
        "HeadingIconHint": "",
    }


def archive_metadata(columns: Iterable[ArchiveColumn], translator: Translator) -> dict[str, Any]:
    """The metadata document: each column's info by its name."""
    return {column.name: column_info(column, translator) for column in columns}
