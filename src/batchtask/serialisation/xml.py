"""The XML wire form: a fast writer for responses and a defended reader for request bodies.

Shapes (SPEC §2), with no namespace: the root element names the carrier (``BatchTaskInfo``); a
``dict`` becomes one child element per key, in insertion order; a ``KeyValues`` becomes one
``<KeyValuePair><Key>k</Key><Value>v</Value></KeyValuePair>`` per entry (a value may itself be
an object); a list becomes one element per entry; ``True``/``False`` become ``true``/``false``;
ints are decimal; ``""`` and empty containers become ``<X></X>``; ``None`` becomes
``<X xsi:nil="true" />``. ``xmlns:xsi`` is declared on the root of every document that can hold a
nil (objects, dictionaries, lists, a nil root), so a nil anywhere below is well-formed; bare
scalars (``<int>100</int>``, ``<boolean>true</boolean>``) carry no declaration.

A list's entries are named by ``item`` at the root (``ArrayOfBatchTaskInfo``/``BatchTaskInfo``).
Nested lists, which no carrier has today, follow the DataContract habit: ``ArrayOfX`` holds ``X``,
otherwise the first non-null entry picks ``int``, ``string`` or ``boolean``, else ``anyType``.

Text rule. ``&``, ``<`` and ``>`` are always escaped. CR is written ``&#13;`` because every XML
parser turns a literal CR (or CRLF) into LF, while a character reference survives. Characters
XML 1.0 cannot carry at all -- C0 controls other than TAB, LF and CR, U+FFFE, U+FFFF, and
surrogate code points (a Python ``str`` may hold them, UTF-8 cannot) -- are replaced by U+FFFD
REPLACEMENT CHARACTER: no XML 1.0 document can contain them, not even as character references,
and an unparseable response is worse than a visibly replaced character. Element names must be
ASCII XML names (every carrier property is); anything else is a programming error and raises
``ValueError``.

The writer is a string builder, not ElementTree: it runs for every XML response, and appending
pre-escaped pieces to a list is five to seven times faster than building and serialising a
tree. Text is escaped with ``str.replace`` only for characters it contains; the forbidden-character
regex runs only for text that is not printable ASCII.

The reader goes through defusedxml with DTDs, entities and external references forbidden, then
converts the tree: ``xsi:nil`` → ``None``; children that are all ``KeyValuePair`` (or a SOAP
spelling ending in ``KeyValuePair``) → ``KeyValues``; children sharing one tag → a list when there
are two or more, the tag is a typical item name, or the parent is ``ArrayOf…``; other children →
a ``dict`` (a repeated name is an error); a leaf → its text. Leaves are always strings -- XML does
not say whether ``1`` is a number -- so the caller's schema converts them, exactly as for form
bodies; for the same reason an empty container reads back as ``""``. Element names lose any
namespace (clients may send the DataContract one). Every failure, for any input bytes, is an
``XmlBodyError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from itertools import repeat
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as defused_tree
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from batchtask.serialisation.wire import KeyValues

__all__ = ["XmlBodyError", "parse_xml", "render_xml", "render_xml_array_start", "render_xml_items"]

_XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
_NIL_ATTRIBUTE = f"{{{_XSI_NAMESPACE}}}nil"

# Item tags that mark a one-entry list as a list rather than an object with one field.
_ITEM_TAGS = frozenset({"int", "long", "short", "string", "boolean", "anyType", "BatchTaskInfo"})

# ---------------------------------------------------------------------------------------------
# Writing

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENT = "\ufffd"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*", re.ASCII)
_KNOWN_NAMES: set[str] = set()
_KNOWN_NAMES_LIMIT = 4096


def _escape(text: str) -> str:
    # Substring scans and str.replace run in C and skip the common case (plain text) in a few
    # tens of nanoseconds; "&" goes first so the later replacements are not escaped again.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if not (text.isascii() and text.isprintable()):
        if "\r" in text:
            text = text.replace("\r", "&#13;")
        if _FORBIDDEN.search(text) is not None:
            text = _FORBIDDEN.sub(_REPLACEMENT, text)
    return text


def _checked_name(name: str) -> str:
    """The name itself when it is a valid element name; names seen before cost one set lookup."""
    if name in _KNOWN_NAMES:
        return name
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise ValueError(f"{name!r} cannot be an XML element name")
    if len(_KNOWN_NAMES) < _KNOWN_NAMES_LIMIT:
        _KNOWN_NAMES.add(name)
    return name


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value)


def _item_name(list_name: str, entries: list[object] | tuple[object, ...]) -> str:
    if list_name.startswith("ArrayOf") and len(list_name) > 7:
        return list_name[7:]
    for entry in entries:
        if entry is None:
            continue
        if isinstance(entry, bool):
            return "boolean"
        if isinstance(entry, int):
            return "int"
        if isinstance(entry, str):
            return "string"
        break
    return "anyType"


def _elements(out: list[str], pairs: Iterable[tuple[str, object]]) -> None:
    """Append one element per ``(name, value)``; scalars, the common case, take one append."""
    append = out.append
    for name, value in pairs:
        if isinstance(value, str):
            append(f"<{name}>{_escape(value)}</{name}>")
        elif value is None:
            append(f'<{name} xsi:nil="true" />')
        elif isinstance(value, bool):
            append(f"<{name}>true</{name}>" if value else f"<{name}>false</{name}>")
        elif type(value) is int:
            append(f"<{name}>{value}</{name}>")
        else:
            append(f"<{name}>")
            _content(out, name, value, None)
            append(f"</{name}>")


def _content(out: list[str], name: str, value: object, item: str | None) -> None:
    """Append what goes between the tags of element ``name``."""
    if isinstance(value, KeyValues):
        for key, entry in value.items():
            if not isinstance(key, str):
                raise TypeError(f"KeyValues keys must be str, not {type(key).__name__}")
            out.append(f"<KeyValuePair><Key>{_escape(key)}</Key>")
            _elements(out, (("Value", entry),))
            out.append("</KeyValuePair>")
    elif isinstance(value, dict):
        for key in value:
            if key not in _KNOWN_NAMES:
                _checked_name(key)
        _elements(out, value.items())
    elif isinstance(value, list | tuple):
        tag = item if item is not None else _item_name(name, value)
        _elements(out, zip(repeat(tag), value))
    elif isinstance(value, str):
        out.append(_escape(value))
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_float_text(value))
    else:
        raise TypeError(f"{type(value).__name__} has no XML wire form (in <{name}>)")


def render_xml(root: str, value: object, *, item: str | None = None) -> bytes:
    """Render ``value`` as the UTF-8 document ``<root>…</root>``.

    ``item`` names the entries when ``value`` is a list (``ArrayOfBatchTaskInfo`` holds
    ``BatchTaskInfo``); without it they are named as nested lists are (module docstring).
    """
    root = _checked_name(root)
    if item is not None:
        item = _checked_name(item)
    opening = f'{_DECLARATION}<{root} xmlns:xsi="{_XSI_NAMESPACE}"'
    if value is None:
        return f'{opening} xsi:nil="true" />'.encode()
    if type(value) is str:
        return f"{opening}>{_escape(value)}</{root}>".encode()
    if isinstance(value, bool | int):  # a bare scalar needs no xsi: <int>100</int>
        out = [f"{_DECLARATION}<{root}>"]
        _content(out, root, value, item)
        out.append(f"</{root}>")
        return "".join(out).encode()
    out = [opening, ">"]
    _content(out, root, value, item)
    out.append(f"</{root}>")
    return "".join(out).encode()


def render_xml_array_start(root: str) -> bytes:
    """The opening of an array document: ``render_xml(root, [...])`` up to its first entry."""
    return f'{_DECLARATION}<{_checked_name(root)} xmlns:xsi="{_XSI_NAMESPACE}">'.encode()


def render_xml_items(item: str, values: list[object]) -> bytes:
    """Array entries as ``render_xml`` writes them inside the root (a page of a streamed list)."""
    out: list[str] = []
    _elements(out, zip(repeat(_checked_name(item)), values))
    return "".join(out).encode()


# ---------------------------------------------------------------------------------------------
# Reading


class XmlBodyError(ValueError):
    """An XML request body that cannot be accepted; the message says why, for a 400 response."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _where(position: tuple[int, int] | None) -> tuple[int | None, int | None]:
    if position is None:
        return None, None
    return position[0], position[1]


def parse_xml(body: bytes, *, max_depth: int = 32) -> tuple[str, object]:
    """Read an XML request body into ``(root element name, value)`` (shapes: module docstring).

    Raises ``XmlBodyError`` -- and nothing else -- for malformed XML, DTDs, entities, external
    references, unsupported encodings, repeated object fields, or nesting deeper than
    ``max_depth`` elements (the root is depth 1).
    """
    try:
        root = defused_tree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except ParseError as error:
        line, column = _where(getattr(error, "position", None))
        message = f"The XML body is not well-formed: {error}"
        raise XmlBodyError(message, line=line, column=column) from None
    except DTDForbidden:
        message = "The XML body may not contain a document type declaration (<!DOCTYPE>)"
        raise XmlBodyError(message) from None
    except EntitiesForbidden:
        raise XmlBodyError("The XML body may not declare entities") from None
    except DefusedXmlException:
        raise XmlBodyError("The XML body may not refer to external resources") from None
    except (ValueError, LookupError) as error:
        raise XmlBodyError(f"The XML body cannot be read: {error}") from None
    return _local(root.tag), _convert(root, 1, max_depth)


def _convert(element: Element, depth: int, max_depth: int) -> object:
    name = _local(element.tag)
    if depth > max_depth:
        raise XmlBodyError(f"The XML body nests deeper than {max_depth} elements (at <{name}>)")
    if element.get(_NIL_ATTRIBUTE, "").strip() in ("true", "1"):
        return None
    children = list(element)
    if not children:
        return element.text or ""
    _refuse_mixed_content(element, children, name)
    tags = [_local(child.tag) for child in children]
    first = tags[0]
    same = all(tag == first for tag in tags)
    if same and first.endswith("KeyValuePair"):
        return _key_values(children, name, depth, max_depth)
    if same and (len(tags) > 1 or first in _ITEM_TAGS or name.startswith("ArrayOf")):
        return [_convert(child, depth + 1, max_depth) for child in children]
    fields: dict[str, object] = {}
    for tag, child in zip(tags, children, strict=True):
        if tag in fields:
            raise XmlBodyError(f"<{tag}> appears more than once in <{name}>")
        fields[tag] = _convert(child, depth + 1, max_depth)
    return fields


def _refuse_mixed_content(element: Element, children: list[Element], name: str) -> None:
    """Text beside child elements has no place in the wire shapes; indentation is fine."""
    if (element.text or "").strip() or any((child.tail or "").strip() for child in children):
        raise XmlBodyError(f"<{name}> mixes text with child elements")


def _key_values(pairs: list[Element], name: str, depth: int, max_depth: int) -> KeyValues:
    if depth + 2 > max_depth:
        raise XmlBodyError(f"The XML body nests deeper than {max_depth} elements (in <{name}>)")
    result = KeyValues()
    for pair in pairs:
        parts = list(pair)
        _refuse_mixed_content(pair, parts, _local(pair.tag))
        key: Element | None = None
        value: Element | None = None
        for part in parts:
            tag = _local(part.tag)
            if tag == "Key" and key is None:
                key = part
            elif tag == "Value" and value is None:
                value = part
            else:
                raise XmlBodyError(f"A <KeyValuePair> in <{name}> holds one <Key> and one <Value>")
        if key is None or len(key):
            raise XmlBodyError(f"A <KeyValuePair> in <{name}> needs a text <Key>")
        text = key.text or ""
        if text in result:
            raise XmlBodyError(f"The key {text!r} appears more than once in <{name}>")
        result[text] = None if value is None else _convert(value, depth + 2, max_depth)
    return result
