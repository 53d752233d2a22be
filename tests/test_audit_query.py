"""The audit log's time range takes RFC 3339 text, as the OpenAPI document says, and nothing else."""

from __future__ import annotations

import datetime as dt


async def test_the_range_takes_rfc3339_and_refuses_a_bare_number(client, make_tenant, make_user, login):
    tenant = await make_tenant()
    auditor = await login(tenant, await make_user(tenant, "audit_admin"))
    now = dt.datetime.now(dt.UTC)
    found = await client.get(
        "/api/v1/audit",
        headers=auditor,
        params={"since": (now - dt.timedelta(hours=1)).isoformat(), "until": now.isoformat()},
    )
    assert found.status_code == 200, found.text

    # Litestar alone would read the number as a Unix timestamp (found by the schemathesis run).
    for field, value in (("until", "-9.473432782843252e-99"), ("since", "1700000000"), ("since", "soon")):
        refused = await client.get("/api/v1/audit", headers=auditor, params={field: value})
        assert refused.status_code == 422, (field, value, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == [field]

    backwards = await client.get(
        "/api/v1/audit",
        headers=auditor,
        params={"since": now.isoformat(), "until": (now - dt.timedelta(days=1)).isoformat()},
    )
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["since"]
