"""Assembling the OpenAPI document from its parts, and serving it as bytes built once."""

from __future__ import annotations

import json
from functools import lru_cache

from batchtask import __version__
from batchtask.http.openapi import (
    admin,
    agents,
    archive,
    batch_task,
    discovery,
    operations,
    session,
)
from batchtask.http.openapi.components import Schema, parameters, responses, security_schemes
from batchtask.serialisation.admin_schema import admin_schemas
from batchtask.serialisation.schema import component_schemas


def openapi_document(context_identifier: str = "Cust00000", *, basic_auth: bool = True) -> Schema:
    """A fresh OpenAPI 3.1 document (a plain dict) for a server with these settings."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "batchtask: SuperOffice BatchTask Web API",
            "version": __version__,
            "description": "A self-hosted implementation of the SuperOffice CRM Web API "
            "BatchTask system. Every operation under `/api/v1` is also served under "
            f"`/{{ContextIdentifier}}/api/v1` for this server's `{context_identifier}`. A method "
            "a documented path does not list answers 405 with an `Allow` header and the error "
            "body.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [
            {"name": "BatchTask", "description": "The SuperOffice-compatible REST resource."},
            {
                "name": "Session",
                "description": "Tickets for clients, cookie sessions for browsers.",
            },
            {"name": "Archive", "description": "The BatchTasks archive provider and its columns."},
            {"name": "Agents", "description": "SuperOffice's Batch agent: `POST` one method each."},
            {"name": "Discovery", "description": "The version block and the supported URLs."},
            {"name": "Operations", "description": "Liveness, readiness and metrics."},
            {
                "name": "Admin",
                "description": "The console's API (`/admin/api`): tasks, bulk actions, "
                "definitions, workers, stats. JSON; every action is logged with its actor.",
            },
        ],
        "paths": {
            **batch_task.paths(basic_auth),
            **archive.paths(basic_auth),
            **agents.paths(basic_auth),
            **discovery.paths(),
            **session.paths(basic_auth),
            **operations.paths(),
            **admin.paths(basic_auth),
        },
        "components": {
            "schemas": {**component_schemas(), **admin_schemas()},
            "parameters": parameters(context_identifier),
            "responses": responses(basic_auth),
            "securitySchemes": security_schemes(context_identifier),
        },
    }


@lru_cache(maxsize=8)
def openapi_json(context_identifier: str = "Cust00000", *, basic_auth: bool = True) -> bytes:
    """The document as compact UTF-8 JSON, built once per distinct settings."""
    document = openapi_document(context_identifier, basic_auth=basic_auth)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
