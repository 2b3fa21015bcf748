"""The OpenAPI 3 document of service_1, served at /openapi.json."""

from __future__ import annotations

from typing import Any

from svc1.validation import TEXT_MAX, USER_MAX


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "service_1 — message ingestion",
        "version": "1.0.0",
        "description": "Takes user messages, refuses sensitive data, queues clean ones for analysis "
        "or forwards them to service_2.",
    },
    "paths": {
        "/messages": {
            "post": {
                "summary": "Submit a message",
                "parameters": [
                    {
                        "name": "X-Request-ID",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 64},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessageIn"}}},
                },
                "responses": {
                    "202": {
                        "description": "Queued (async mode): the job is in the broker",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}},
                    },
                    "200": {
                        "description": "Processed by service_2 (sync mode)",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Processed"}}
                        },
                    },
                    "400": _error("Malformed JSON, missing or ill-typed fields, bad mode"),
                    "413": _error("Body over 64 KiB"),
                    "415": _error("Content-Type is not application/json"),
                    "422": {
                        "description": "Sensitive data found; nothing forwarded or queued",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Sensitive"}}
                        },
                    },
                    "502": _error("service_2 unreachable (sync)"),
                    "503": _error("Broker unreachable; see Retry-After"),
                    "504": _error("service_2 too slow (sync)"),
                },
            }
        },
        "/messages/{id}": {
            "get": {
                "summary": "Status and result of a message",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "Known message",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
                    },
                    "404": _error("Unknown id"),
                },
            }
        },
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": {"description": "Alive"}}}},
        "/readyz": {
            "get": {
                "summary": "Ready: broker and service_2 answer",
                "responses": {
                    "200": {"description": "Ready"},
                    "503": _error("Not ready; says which check failed"),
                },
            }
        },
        "/metrics": {
            "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "Text format"}}}
        },
        "/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3"}}}
        },
    },
    "components": {
        "schemas": {
            "MessageIn": {
                "type": "object",
                "additionalProperties": False,
                "required": ["user", "text"],
                "properties": {
                    "user": {"type": "string", "minLength": 1, "maxLength": USER_MAX},
                    "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
                    "mode": {"type": "string", "enum": ["async", "sync"], "default": "async"},
                },
            },
            "Queued": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {"id": {"type": "string"}, "status": {"type": "string", "enum": ["queued"]}},
            },
            "Processed": {
                "type": "object",
                "required": ["id", "status", "result"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "enum": ["processed"]},
                    "result": {"type": "object"},
                },
            },
            "Status": {
                "type": "object",
                "required": ["id", "status", "result"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "processing", "done", "failed"]},
                    "result": {"type": "object", "nullable": True},
                },
            },
            "Sensitive": {
                "type": "object",
                "required": ["error", "detail", "alert"],
                "properties": {
                    "error": {"type": "string", "enum": ["sensitive_data"]},
                    "detail": {"type": "string"},
                    "alert": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "type": {"type": "string"},
                            "kinds": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
        }
    },
}
