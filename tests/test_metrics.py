"""/metrics: request counts and latency by route template, per-district counts, jobs, outbox backlog."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import msgspec
import pytest

from core.jobs.service import enqueue, register_job, run_due
from core.settings import get_settings, override_settings

register_job("test.metrics_noop", lambda ctx: None)
DASHBOARD = Path(__file__).resolve().parents[1] / "deploy/grafana/quanyu-dashboard.json"


def samples(text: str, name: str) -> dict[str, float]:
    """``{labels: value}`` of one metric family in the text exposition."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{.*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


async def scrape(client) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_and_district(client, admin):
    person_id = uuid.uuid4()
    assert (await client.get("/api/v1/people", headers=admin.headers)).status_code == 200
    assert (await client.get(f"/api/v1/people/{person_id}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
    text = await scrape(client)

    requests = samples(text, "quanyu_requests_total")
    listed = [k for k in requests if 'path="/api/v1/people"' in k and 'status_code="200"' in k]
    one = [k for k in requests if 'path="/api/v1/people/{person_id}"' in k and 'status_code="404"' in k]
    assert listed and one, requests
    assert str(person_id) not in text, "a raw path became a label (unbounded cardinality)"
    assert "/no/such" not in text, "unmatched paths are not counted"
    assert samples(text, "quanyu_request_duration_seconds_count")
    per_district = samples(text, "quanyu_tenant_requests_total")
    assert per_district[f'{{tenant="{admin.tenant.slug}"}}'] >= 2


async def test_jobs_and_the_outbox_backlog(client, database, make_tenant, plugin_host):
    await run_due(database, plugin_host, limit=1000)
    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        await enqueue(session, "test.metrics_noop")
    waiting = await scrape(client)
    assert samples(waiting, "quanyu_outbox_pending")[""] >= 1
    assert samples(waiting, "quanyu_outbox_lag_seconds")[""] >= 0
    before = samples(waiting, "quanyu_jobs_total").get('{job="test.metrics_noop",outcome="done"}', 0)

    await run_due(database, plugin_host, limit=1000)
    done = await scrape(client)
    assert samples(done, "quanyu_jobs_total")['{job="test.metrics_noop",outcome="done"}'] == before + 1
    assert samples(done, "quanyu_outbox_pending")[""] == 0
    assert samples(done, "quanyu_outbox_lag_seconds")[""] == 0


@pytest.fixture
def metrics_token():
    original = get_settings()
    override_settings(msgspec.structs.replace(original, metrics_token="scrape-secret"))
    yield "scrape-secret"
    override_settings(original)


async def test_a_token_guards_the_endpoint_when_set(client, metrics_token):
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 401
    allowed = await client.get("/metrics", headers={"authorization": f"Bearer {metrics_token}"})
    assert allowed.status_code == 200 and "quanyu_outbox_pending" in allowed.text


async def test_the_grafana_dashboard_reads_only_metrics_the_platform_exports(
    client, admin, database, plugin_host
):
    """deploy/grafana/quanyu-dashboard.json: every series it queries is in a real scrape."""
    import json

    assert (await client.get("/api/v1/people", headers=admin.headers)).status_code == 200
    async with database.transaction(admin.tenant.id) as session:
        await enqueue(session, "test.metrics_noop")
    await run_due(database, plugin_host, limit=1000)
    exposed = {
        line.split("{")[0].split(" ")[0] for line in (await scrape(client)).splitlines() if line[:1] != "#"
    }
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bquanyu_[a-z_]+\b", target["expr"])
    }
    assert queried and queried <= exposed, sorted(queried - exposed)
