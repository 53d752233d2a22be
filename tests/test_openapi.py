"""The served OpenAPI document lists every route and documents the problem responses of each."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.routes import HTTPRoute

PROBLEM_STATUSES = ("400", "401", "403", "404", "409", "413", "415", "422", "429")
PROBLEM = "application/problem+json"


@pytest.fixture
async def spec_and_app(tmp_path: Path, test_settings: Any) -> AsyncIterator[tuple[dict[str, Any], Any]]:
    import httpx

    from core.db.session import Database
    from core.web.app import create_app

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")  # the schema needs no database
    app = create_app(database, None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/schema/openapi.json")
        assert response.status_code == 200, response.text
        yield response.json(), app
    await database.dispose()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def test_every_route_is_in_the_document(spec_and_app):
    spec, app = spec_and_app
    documented = {(method, path) for method, path, _ in operations(spec)}
    expected = set()
    for route in app.routes:
        # The document itself, static assets and the console's HTML pages are not API operations.
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/schema", "/static/", "/t/")):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for method in route.methods - {"OPTIONS", "HEAD"}:
            expected.add((method, path))
    assert len(expected) > 20
    missing = sorted(expected - documented)
    assert not missing, f"routes missing from /schema/openapi.json: {missing}"
    assert ("POST", "/api/v1/org/nodes") in documented
    assert ("GET", "/api/v1/org/nodes/{node_id}") in documented


async def test_every_operation_documents_problem_responses(spec_and_app):
    spec, _app = spec_and_app
    undocumented = []
    for method, path, operation in operations(spec):
        responses = operation.get("responses", {})
        for status in PROBLEM_STATUSES:
            content = responses.get(status, {}).get("content", {})
            if PROBLEM not in content:
                undocumented.append(f"{method} {path} {status}")
    assert not undocumented, "operations without problem+json responses:\n" + "\n".join(undocumented)
    problem = spec["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "code", "detail"} <= set(problem["required"])
    assert "errors" in problem["properties"]
    sample = spec["paths"]["/api/v1/org/nodes"]["post"]["responses"]["422"]["content"][PROBLEM]["schema"]
    assert sample == {"$ref": "#/components/schemas/ProblemDetails"}


async def test_request_body_schema_names_required_fields(spec_and_app):
    spec, _app = spec_and_app
    create = spec["paths"]["/api/v1/org/nodes"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    name = create["$ref"].rsplit("/", 1)[-1]
    schema = spec["components"]["schemas"][name]
    assert set(schema["required"]) == {"parent_id", "kind", "name"}


async def test_operations_that_need_a_login_declare_the_bearer_token(spec_and_app):
    spec, _app = spec_and_app
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    declared = {(method, path) for method, path, op in operations(spec) if op.get("security")}
    assert all(op["security"] == [{"bearer": []}] for _m, _p, op in operations(spec) if op.get("security"))
    # Logging in, redeeming an invitation, signed file links, health and metrics need no token.
    for open_operation in (
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/redeem"),
        ("GET", "/api/v1/files/{token}"),
        ("GET", "/health/live"),
        ("GET", "/metrics"),
    ):
        assert open_operation not in declared
    for secured in (("GET", "/api/v1/auth/me"), ("POST", "/api/v1/org/nodes"), ("GET", "/api/v1/audit")):
        assert secured in declared
    plugin_operations = {(m, p) for m, p, _op in operations(spec) if p.startswith("/api/v1/m/")}
    assert plugin_operations and plugin_operations <= declared


@pytest.mark.parametrize(
    ("method", "path", "status", "struct"),
    [
        ("post", "/api/v1/m/care_fund/funds/{fund_id}/income", "201", "TransactionOut"),
        ("post", "/api/v1/m/care_fund/transactions/{transaction_id}/reverse", "201", "TransactionOut"),
        ("post", "/api/v1/m/care_fund/disbursements/{disbursement_id}/pay", "200", "DisbursementOut"),
    ],
)
async def test_idempotent_answers_are_documented_as_the_struct_they_encode(
    spec_and_app: tuple[dict[str, Any], Any], method: str, path: str, status: str, struct: str
) -> None:
    """The fuzz's response-schema check found these documented as a string: the handlers return the
    encoded bytes (so a replay answers the stored body) and ``responses`` must name the struct."""
    spec, _app = spec_and_app
    content = spec["paths"][path][method]["responses"][status]["content"]
    assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{struct}"}


async def test_a_download_is_documented_as_any_media_type(spec_and_app: tuple[dict[str, Any], Any]) -> None:
    """A file is served as the type sniffed at upload; the fuzz found image/png documented as octet-stream."""
    spec, _app = spec_and_app
    content = spec["paths"]["/api/v1/attachments/{attachment_id}/content"]["get"]["responses"]["200"][
        "content"
    ]
    assert list(content) == ["*/*"]
