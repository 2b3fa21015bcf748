"""The OpenAPI documents say exactly what the services do: schemathesis (every check on) against both
running services finds no difference, and the edge cases of the rules are tried one by one against the
served document and the service side by side."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from harness.procs import VENV_BIN
from tests.support.stack import Stack, make_stack

# Bounded so the two runs stay well under a minute on this machine; a fixed seed makes a failure
# reproducible (`st run … --seed` with the same number), SCHEMATHESIS_SEED in the environment varies it.
MAX_EXAMPLES = {"service_1": 40, "service_2": 40}
SEED = 20261202

# A JSON schema cannot say "holds no sensitive data": well-formed text the detector flags is answered with
# the documented 422, which is an acceptance of valid data in the sense of this check. 429 is the
# documented refusal of a flood (the defaults of the check count it too). 400 is there for the same reason
# as 422: an Idempotency-Key that matches its pattern but holds what the detector finds (a card number's
# digits) is refused; 409 for a key the fuzzer reuses with another body (a schema cannot say "a key once").
# Bodies are held to the schema exactly by the next tests.
CONFIG = """
[[operations]]
include-path = "/messages"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "409", "422", "429"]
"""


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Stack]:
    # Rate and backlog limits far above what the fuzzer sends: it tests the documents, not the limits.
    stack = make_stack(
        tmp_path_factory.mktemp("fuzz"),
        redis_url,
        USER_RATE="100000",
        USER_BURST="100000",
        MAX_BACKLOG="1000000",
    )
    try:
        stack.start_svc2()
        stack.start_svc1()
        yield stack
    finally:
        stack.stop()


def schemathesis(stack: Stack, service: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    import os

    url = stack.svc1_url if service == "service_1" else stack.svc2_url
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG if service == "service_1" else "")
    args = [
        str(VENV_BIN / "st"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES[service]),
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", str(SEED)),
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--workers",
        "1",
    ]
    if service == "service_2":
        args += ["--header", f"Authorization: Bearer {stack.env['SERVICE_TOKEN']}"]
    return subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=240, check=False)


@pytest.mark.parametrize("service", ["service_1", "service_2"])
def test_schemathesis_finds_no_difference_between_document_and_service(
    running: Stack, service: str, tmp_path: Path
) -> None:
    result = schemathesis(running, service, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout, result.stdout[-3000:]
    assert " passed" in result.stdout
    # The fuzzer's worst made nothing fail inside either service.
    errors = [r for r in running.log_records(service) if r["level"] in ("ERROR", "CRITICAL")]
    assert errors == []


def _served_schema(stack: Stack, name: str, service: str = "service_1") -> Any:
    base = stack.svc1_url if service == "service_1" else stack.svc2_url
    import urllib.request

    with urllib.request.urlopen(f"{base}/openapi.json") as resp:
        spec = json.loads(resp.read())
    return jsonschema_rs.Draft4Validator(spec["components"]["schemas"][name])


WHITESPACE_SAMPLES = [" ", "\t\n", "\x1c\x1f", "\x85", "\xa0", "\u2028", "\u3000 \u3000"]
NOT_WHITESPACE = ["\u200b", "\ufeff", "\x00", "\u180e", ".", "\U0001f600"]


def _message_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for value in WHITESPACE_SAMPLES + NOT_WHITESPACE:
        cases += [
            {"user": value, "text": "hi"},
            {"user": "u", "text": value},
            {"user": "u", "text": f" {value} "},
        ]
    cases += [
        {"user": "u" * 64, "text": "t"},
        {"user": "u" * 65, "text": "t"},
        {"user": "\U0001f600" * 64, "text": "t"},
        {"user": "\U0001f600" * 65, "text": "t"},
        {"user": "u", "text": "t" * 4000},
        {"user": "u", "text": "t" * 4001},
        {"user": "", "text": "t"},
        {"user": "u", "text": ""},
        {"user": "u", "text": "t", "mode": "sync"},
        {"user": "u", "text": "t", "mode": None},
        {"user": "u", "text": "t", "mode": "Sync"},
        {"user": "u", "text": "t", "x": 1},
        {"user": "u"},
        {"user": 1, "text": "t"},
    ]
    return cases


@pytest.mark.parametrize("body", _message_cases(), ids=lambda b: json.dumps(b)[:40])
def test_the_message_schema_accepts_exactly_what_service_1_accepts(
    running: Stack, body: dict[str, Any]
) -> None:
    validator = _served_schema(running, "MessageIn")
    code, _, answer = running.post(body)
    assert code in (200, 202, 400, 422), answer
    assert validator.is_valid(body) == (code != 400), (code, answer)


@pytest.mark.parametrize(
    "body",
    [
        {"id": "i", "user": "u", "text": "t"},
        {"id": "", "user": "u", "text": "t"},
        {"id": "i", "user": "", "text": "t"},
        {"id": "i", "user": "u", "text": ""},
        {"id": "i", "user": " ", "text": " "},
        {"id": "i" * 64, "user": "u" * 64, "text": "t" * 4000},
        {"id": "i" * 65, "user": "u", "text": "t"},
        {"id": "i", "user": "u", "text": "t" * 4001},
        {"id": "i", "user": "u", "text": "t", "extra": [1]},
        {"id": 5, "user": "u", "text": "t"},
    ],
    ids=lambda b: json.dumps(b)[:40],
)
def test_the_process_schema_accepts_exactly_what_service_2_accepts(
    running: Stack, body: dict[str, Any]
) -> None:
    import urllib.error
    import urllib.request

    validator = _served_schema(running, "ProcessIn", "service_2")
    req = urllib.request.Request(
        f"{running.svc2_url}/process",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {running.env['SERVICE_TOKEN']}",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            code = resp.status
    except urllib.error.HTTPError as err:
        code = err.code
    assert code in (200, 400)
    assert validator.is_valid(body) == (code == 200)


def test_request_id_is_documented_as_replaced_not_refused(running: Stack) -> None:
    """A long id is replaced, so the document must not declare a maxLength a fuzzer would expect a 4xx for."""
    code, headers, _ = running.get("/openapi.json")
    assert code == 200
    code, headers, _ = running.post({"user": "u", "text": "hi"}, headers={"X-Request-ID": "r" * 200})
    assert code == 202 and headers["X-Request-ID"] != "r" * 200
    import urllib.request

    with urllib.request.urlopen(f"{running.svc1_url}/openapi.json") as resp:
        spec = json.loads(resp.read())
    (param,) = [p for p in spec["paths"]["/messages"]["post"]["parameters"] if p["name"] == "X-Request-ID"]
    assert "maxLength" not in param["schema"] and "replaced" in param["description"]
