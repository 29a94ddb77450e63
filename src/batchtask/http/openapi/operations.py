"""The paths of the operational probes: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from batchtask.http.openapi.components import Schema, error_refs, schema_ref


def paths() -> dict[str, Schema]:
    """``/healthz``, ``/readyz`` and ``/metrics``: no authentication, fixed media types."""

    def probe(operation_id: str, summary: str, responses: dict[str, Schema]) -> Schema:
        return {
            "get": {
                "tags": ["Operations"],
                "operationId": operation_id,
                "summary": summary,
                "security": [],
                "responses": responses,
            }
        }

    return {
        "/healthz": probe(
            "Operations_Healthz",
            "Liveness: answering at all is the signal.",
            {
                "200": {
                    "description": "Up.",
                    "content": {"application/json": {"schema": schema_ref("Health")}},
                }
            },
        ),
        "/readyz": probe(
            "Operations_Readyz",
            "Readiness: the database answers.",
            {
                "200": {
                    "description": "Ready.",
                    "content": {"application/json": {"schema": schema_ref("Readiness")}},
                },
                **error_refs(503),
            },
        ),
        "/metrics": probe(
            "Operations_Metrics",
            "Prometheus text exposition of this process's metrics.",
            {
                "200": {
                    "description": "The metrics.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        ),
    }
