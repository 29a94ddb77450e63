"""SuperOffice's REST error object: ``{"Error": true, "ErrorType", "ErrorMessage", "ErrorSource"}``."""

from __future__ import annotations

from typing import Any

ERROR_SOURCE = "batchtask"
#: Root element of the error object in XML.
ERROR_ROOT = "ErrorInfo"


def error_body(error_type: str, message: str, source: str = ERROR_SOURCE) -> dict[str, Any]:
    """The error object in wire form."""
    return {"Error": True, "ErrorType": error_type, "ErrorMessage": message, "ErrorSource": source}
