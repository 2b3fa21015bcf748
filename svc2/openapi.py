"""The OpenAPI 3 document of service_2, served at /openapi.json."""

from __future__ import annotations

from typing import Any

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "service_2 — validation and cleaning (internal)", "version": "1.0.0"},
    "components": {
        "securitySchemes": {"serviceToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "ProcessIn": {
                "type": "object",
                "required": ["id", "user", "text"],
                "properties": {
                    "id": {"type": "string", "maxLength": 64},
                    "user": {"type": "string", "maxLength": 64},
                    "text": {"type": "string", "maxLength": 4000},
                },
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
                    "200": {
                        "description": "Cleaned",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ProcessOut"}}
                        },
                    },
                    "400": {"description": "Invalid body", **_ERROR},
                    "401": {"description": "Missing or wrong token", **_ERROR},
                    "415": {"description": "Not JSON", **_ERROR},
                },
            }
        },
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": {"description": "Alive"}}}},
        "/readyz": {"get": {"summary": "Ready", "responses": {"200": {"description": "Ready"}}}},
        "/metrics": {
            "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Text format"}}}
        },
        "/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}
        },
    },
}
