"""API conventions: OpenAPI UI served without a CDN, health endpoints, problem+json for unknown routes."""

from __future__ import annotations

import re


async def test_schema_ui_assets_are_served_locally(client):
    page = await client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r"(?:src|href)=['\"]([^'\"]+)['\"]", page.text)
    assert assets, "the UI page references its scripts and styles"
    for url in assets:
        assert url.startswith("/static/"), f"{url} would need a CDN"
        assert (await client.get(url)).status_code == 200
    spec = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/auth/login" in spec["paths"]


async def test_health(client):
    assert (await client.get("/health/live")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


async def test_unknown_route_and_method_are_problems(client, admin):
    missing = await client.get("/api/v1/nothing-here", headers=admin.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong_method = await client.delete("/api/v1/org/kinds", headers=admin.headers)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("application/problem+json")


async def test_errors_speak_the_request_language(client):
    zh = await client.get("/api/v1/org/kinds")
    en = await client.get("/api/v1/org/kinds", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 401
    assert en.json()["detail"] == "Log in to continue."
    assert zh.json()["detail"] == "请先登录。"
    assert zh.headers["x-request-id"]


def test_tenant_fk_refuses_set_null():
    import pytest

    from core.db.base import tenant_fk

    with pytest.raises(ValueError, match="SET NULL"):
        tenant_fk("org_node", nullable=True, ondelete="SET NULL")


def test_core_api_exports_resolve():
    import core.api

    missing = [name for name in core.api.__all__ if not hasattr(core.api, name)]
    assert not missing
    assert core.api.tenant_fk is not None and issubclass(core.api.OrgNode, core.api.TenantScoped)


async def test_a_browser_asking_for_zh_cn_gets_chinese_and_routing_errors_follow_the_request(client):
    zh = await client.get("/api/v1/org/kinds", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert zh.json()["detail"] == "请先登录。"
    missing = await client.get("/api/v1/no-such-route", headers={"Accept-Language": "en-US"})
    assert missing.status_code == 404 and missing.json()["title"] == "Not found"
    again = await client.get("/api/v1/no-such-route", headers={"Accept-Language": "zh-CN"})
    assert again.json()["title"] == "未找到"
    assert again.json()["request_id"] != missing.json()["request_id"]
    wrong = await client.delete("/health/live", headers={"Accept-Language": "en"})
    assert wrong.status_code == 405 and wrong.json()["title"] == "Method not allowed"
