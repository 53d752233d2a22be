"""Log lines are JSON objects naming the request, district, user, and the plugin and job at work."""

from __future__ import annotations

import io
import json
import logging

import msgspec
import pytest

from core.jobs.service import enqueue, run_due
from core.logging import configure_logging
from core.settings import get_settings, override_settings


@pytest.fixture
def json_logs():
    """What the platform's log handler writes, with QUANYU_LOG_JSON=true."""
    original = get_settings()
    override_settings(msgspec.structs.replace(original, log_json=True))
    configure_logging(force=True)
    written = io.StringIO()
    next(h for h in logging.getLogger().handlers if h.get_name() == "quanyu").setStream(written)  # type: ignore[attr-defined]
    yield written
    override_settings(original)
    configure_logging(force=True)


def lines(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


async def test_a_failing_plugin_job_logs_its_plugin_job_and_district(
    client, admin, enable_plugin, database, plugin_host, json_logs
):
    await enable_plugin(admin, "hello")
    await run_due(database, plugin_host, limit=1000)
    json_logs.seek(0)
    json_logs.truncate()
    async with database.transaction(admin.tenant.id) as session:
        await enqueue(session, "hello.leave_note", {"text": "no organisation named"}, max_attempts=1)
    await run_due(database, plugin_host, limit=1000)
    failed = [e for e in lines(json_logs.getvalue()) if "failed on attempt" in e.get("event", "")]
    assert failed, "the failure was not logged as JSON"
    assert failed[0]["plugin"] == "hello" and failed[0]["job"] == "hello.leave_note"
    assert failed[0]["tenant_id"] == str(admin.tenant.id)
    assert failed[0]["level"] == "error" and "KeyError" in failed[0]["exception"]


async def test_request_lines_carry_request_id_district_and_user(client, admin, json_logs):
    from core.context import current_context

    response = await client.get("/api/v1/people", headers=admin.headers)
    assert response.status_code == 200
    logging.getLogger("quanyu.test").info("after the request")  # the request's context, as the app left it
    logged = [e for e in lines(json_logs.getvalue()) if e.get("event") == "after the request"]
    assert logged and logged[0]["request_id"] == response.headers["x-request-id"]
    assert logged[0]["user"] == current_context().principal.username


def test_query_values_never_reach_the_log_in_access_lines_or_outgoing_requests(json_logs):
    import datetime as dt

    from core.people.validation import make_id_card

    number = make_id_card("321111", dt.date(1980, 5, 17), 7, "male")
    path = f"/api/v1/people?id_card={number}&phone=13800001234&limit=50"
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.8:50122", "GET", path, "1.1", 200
    )
    logging.getLogger("httpx").info(
        "HTTP Request: %s %s", "GET", f"https://files.example.cn/f/1?sig=s3cr3t&x={number}"
    )
    logging.getLogger("quanyu.test").info("no query here = fine?")
    text = json_logs.getvalue()
    assert number not in text and "13800001234" not in text and "s3cr3t" not in text
    events = [e["event"] for e in lines(text)]
    assert '"GET /api/v1/people?id_card=***&phone=***&limit=*** HTTP/1.1" 200' in events[0], "names stay"
    assert events[1] == "HTTP Request: GET https://files.example.cn/f/1?sig=***&x=***"
    assert events[2] == "no query here = fine?"
