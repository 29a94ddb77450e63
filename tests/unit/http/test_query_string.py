"""One query-string rule for every route (``http/query_string.py``)."""

from __future__ import annotations

from batchtask.http.query_string import Repeated, parse_query, parse_query_all, query_value


def test_first_value_of_each_name_in_any_case_wins() -> None:
    """``$Format`` and ``$format`` are one parameter; the first value is kept."""
    query = parse_query(b"$Format=xml&$format=json&$select=a+b&empty=&%24top=5")
    assert query == {"$format": "xml", "$select": "a b", "empty": "", "$top": "5"}
    assert query_value(query, "$FORMAT") == "xml"
    assert query_value(query, "$skip") is None
    assert parse_query(b"") == {}


def test_every_value_for_list_parameters() -> None:
    """Repeated names keep each value in order (agents' ``AssociateIds``)."""
    query = parse_query_all(b"AssociateIds=1&associateids=2,3&Id=7")
    assert query == {"associateids": Repeated(("1", "2,3")), "id": "7"}
    assert isinstance(query["associateids"], Repeated)
