"""The OpenAPI 3.1 document of everything the server answers (SPEC §1), served at ``/api/openapi.json``.

Why it is built from code rather than kept as a file: the wire vocabulary -- media types, the 401
challenge, cookie names, the schemas of ``serialisation/schema.py`` -- already lives in code, so
deriving the document from it means it cannot drift from the responses. The integration tests
validate real responses against it and fuzz the live server with it (schemathesis), so a change
on the wire that is not reflected here fails CI.

What it promises, and why it is written the way it is:

* Every status a documented operation really returns is listed (a 500 is always a bug, so it is
  not). A 405 (any undocumented method on a documented path) is described once, in
  ``components/responses``, because listing the wrong methods would claim operations the server
  does not have.
* Responses and error bodies are negotiated, so each lists all six producible media types
  (``Accept`` and ``$format`` pick one). ``Accept`` is also listed as a header parameter, as on
  SuperOffice's own reference page, although OpenAPI tools take it from the content maps.
* The package mirrors ``http/routes``: one module of paths per route module, ``components`` for
  what they share, ``document`` to assemble. The schemas of the bodies live in
  ``serialisation/schema.py``, beside the renderers.
* Only two settings change the document: the ContextIdentifier (the accepted tenant segment) and
  whether Basic authentication is on. ``openapi_json`` is cached per such pair, so the document
  is built once per process.
"""

from batchtask.http.openapi.document import openapi_document, openapi_json

__all__ = ["openapi_document", "openapi_json"]
