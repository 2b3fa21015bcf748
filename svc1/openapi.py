"""The OpenAPI 3 document of service_1, served at /openapi.json."""

from __future__ import annotations

from typing import Any

from svc1.validation import NOT_BLANK_PATTERN
from webcore.limits import TEXT_MAX, USER_MAX
from webcore.request_ids import MAX_LENGTH as REQUEST_ID_MAX

_REQUEST_ID = {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}}


def _error(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**_REQUEST_ID, **headers},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _REQUEST_ID,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_RETRY_AFTER = {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait"}
_TEXT_RULES = (
    "Unicode text: at least one character that is not whitespace, and no unpaired surrogate "
    "(a JSON escape such as \\ud800 alone is refused with 400)."
)


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
                        "description": f"Echoed and carried to every log line. An id longer than {REQUEST_ID_MAX} "
                        "characters, holding anything but letters, digits, '-' and '_' (or starting with '-' or "
                        "'_'), or holding anything the detector finds is replaced by a fresh one, never refused; "
                        "the response's X-Request-ID is the id actually used.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Makes a retry safe: a repeat with the same body within IDEMPOTENCY_TTL (24 h) "
                        "gets the first answer again and is neither queued nor forwarded again; another body "
                        "under the same key is 409. A key holding sensitive data is 400. Stored hashed.",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MessageIn"}}},
                },
                "responses": {
                    "202": {
                        "description": "Queued (async mode): the job is in the broker",
                        "headers": {**_REQUEST_ID, "Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queued"}}},
                    },
                    "200": _json("Processed by service_2 (sync mode)", "Processed"),
                    "400": _error(
                        "Malformed JSON (also nested too deeply or numbers too long to read), missing, "
                        "ill-typed, blank or unpaired-surrogate fields, unknown fields, bad mode, an "
                        "Idempotency-Key holding sensitive data"
                    ),
                    "413": _error("Body over 64 KiB, also when only declared by Content-Length"),
                    "415": _error("Content-Type is not application/json"),
                    "408": _error("The body did not arrive in time (BODY_TIMEOUT, 10 s)"),
                    "409": _error(
                        "Idempotency-Key reused with another body (idempotency_conflict), or its first request "
                        "still in flight past the wait (idempotency_in_progress)"
                    ),
                    "422": _json("Sensitive data found; nothing forwarded or queued", "Sensitive"),
                    "429": _error(
                        "Backlog full (overloaded) or this user over its rate (rate_limited); nothing queued",
                        **{"Retry-After": _RETRY_AFTER},
                    ),
                    "502": _error("service_2 unreachable (sync)"),
                    "503": _error("Broker unreachable", **{"Retry-After": _RETRY_AFTER}),
                    "504": _error("service_2 too slow (sync)"),
                },
            }
        },
        "/messages/{id}": {
            "get": {
                "summary": "Status and result of a message",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _json("Known message", "Status"),
                    "404": _error("Unknown id"),
                    "503": _error("Status store unreachable"),
                },
            }
        },
        "/healthz": {"get": {"summary": "Alive", "responses": {"200": _json("Alive", "Health")}}},
        "/readyz": {
            "get": {
                "summary": "Ready: broker and service_2 answer",
                "responses": {
                    "200": _json("Ready", "Ready"),
                    "503": _json("Not ready; says which check failed", "NotReady"),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "headers": _REQUEST_ID,
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
                        "headers": _REQUEST_ID,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "headers": {
            "RequestId": {
                "description": "The request id actually used (the caller's, or a fresh one)",
                "schema": {
                    "type": "string",
                    "pattern": f"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{REQUEST_ID_MAX - 1}}}$",
                },
            }
        },
        "schemas": {
            "MessageIn": {
                "type": "object",
                "additionalProperties": False,
                "required": ["user", "text"],
                "properties": {
                    "user": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": USER_MAX,
                        "pattern": NOT_BLANK_PATTERN,
                        "description": _TEXT_RULES,
                    },
                    "text": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": TEXT_MAX,
                        "pattern": NOT_BLANK_PATTERN,
                        "description": _TEXT_RULES,
                    },
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
            "Health": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "string", "enum": ["ok"]}},
            },
            "Ready": {
                "type": "object",
                "required": ["status", "checks"],
                "properties": {
                    "status": {"type": "string", "enum": ["ready"]},
                    "checks": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "NotReady": {
                "type": "object",
                "required": ["status", "checks", "error", "detail"],
                "properties": {
                    "status": {"type": "string", "enum": ["not_ready"]},
                    "checks": {"type": "object", "additionalProperties": {"type": "string"}},
                    "error": {"type": "string", "enum": ["not_ready"]},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
