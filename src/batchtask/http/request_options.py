"""Per-request rendering choices from headers and query: media type, language, zone, ``$select``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from batchtask.domain.errors import InvalidInput
from batchtask.http.headers import RequestHeaders
from batchtask.http.negotiation import MediaType, negotiate
from batchtask.http.query_string import Query, query_value
from batchtask.i18n.culture import negotiate_culture
from batchtask.i18n.language import negotiate_language
from batchtask.i18n.timezone import parse_timezone_header
from batchtask.i18n.translator import Translator, translator_for
from batchtask.serialisation.carrier import RenderOptions, parse_select


def media_type(headers: RequestHeaders, query: Query) -> MediaType:
    """The response media type (``$format`` over ``Accept``)."""
    return negotiate(headers.accept, query_value(query, "$format"))


def translator(headers: RequestHeaders) -> Translator:
    """The request's translator (``SO-Language`` over ``Accept-Language``; culture from SO-Culture)."""
    language = negotiate_language(headers.so_language, headers.accept_language)
    return translator_for(language, negotiate_culture(headers.so_culture, language))


def render_options(
    headers: RequestHeaders,
    query: Query,
    text: Translator,
    base_zone: ZoneInfo,
    *,
    carrier_select: bool = True,
) -> RenderOptions:
    """Zone, offset and ``$select`` for carriers; ``InvalidInput`` for a bad zone or field."""
    zone, offset = base_zone, False
    if headers.so_timezone is not None and headers.so_timezone.strip():
        choice = parse_timezone_header(headers.so_timezone)
        zone, offset = choice.zone, choice.include_offset
    select = None
    raw_select = query_value(query, "$select") if carrier_select else None
    if raw_select is not None:
        try:
            select = parse_select(raw_select)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="$select") from None
    return RenderOptions(text, zone, offset, select)
