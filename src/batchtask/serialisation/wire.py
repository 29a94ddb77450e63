"""The in-between form of every response: plain Python values in wire order.

Renderers (JSON, XML) turn it into bytes. Objects are ``dict`` in field order; dictionaries that
SuperOffice serialises as key/value pairs (``StringDictionary``, ``FieldPropertyDictionary``) are
``KeyValues`` so the XML renderer can tell them apart; lists are arrays.
"""

from __future__ import annotations

from typing import Any


class KeyValues(dict[str, Any]):
    """A dictionary on the wire: a JSON object, or XML ``<KeyValuePair>`` elements."""

    __slots__ = ()
