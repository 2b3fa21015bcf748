"""The OpenAPI 3 document of service_2, served at /openapi.json: exactly what ``views.parse`` accepts."""

from __future__ import annotations

from typing import Any

from svc2.views import MAX_FIELD

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_FIELD_RULES = "A non-empty string of Unicode text (an unpaired surrogate such as \\ud800 alone is refused)."


def _field(name: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": MAX_FIELD[name], "description": _FIELD_RULES}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "service_2 — validation and cleaning (internal)", "version": "1.0.0"},
    "components": {
        "securitySchemes": {"serviceToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "ProcessIn": {
                "type": "object",
                "required": ["id", "user", "text"],
                # Other members are ignored, not refused.
                "additionalProperties": True,
                "properties": {name: _field(name) for name in MAX_FIELD},
            },
            "ProcessOut": {
                "type": "object",
                "required": ["id", "clean_text", "valid", "checks"],
                "properties": {
                    "id": {"type": "string"},
                    "clean_text": {"type": "string"},
                    "valid": {"type": "boolean"},
                    "checks": {"type": "object"},
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
            "Health": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "string", "enum": ["ok"]}},
            },
            "Ready": {
                "type": "object",
                "required": ["status", "checks"],
                "properties": {"status": {"type": "string", "enum": ["ready"]}, "checks": {"type": "object"}},
            },
        },
    },
    "paths": {
        "/process": {
            "post": {
                "summary": "Validate and clean a message forwarded by service_1",
                "security": [{"serviceToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProcessIn"}}},
                },
                "responses": {
                    "200": _json("Cleaned", "ProcessOut"),
                    "400": {
                        "description": "Invalid body: malformed JSON, missing or ill-typed fields",
                        **_ERROR,
                    },
                    "401": {
                        "description": "Missing or wrong token",
                        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                        **_ERROR,
                    },
                    "408": {"description": "The body did not arrive in time", **_ERROR},
                    "413": {"description": "Body over 64 KiB, also when only declared", **_ERROR},
                    "415": {"description": "Not JSON", **_ERROR},
                },
            }
        },
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": _json("Alive", "Health")}}},
        "/readyz": {"get": {"summary": "Ready", "responses": {"200": _json("Ready", "Ready")}}},
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
}
