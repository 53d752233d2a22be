"""Organisations and members claim projects like a booking: the capacity holds under concurrent
requests, a retry with the same Idempotency-Key does not claim twice, and bad commitments are
refused with the field and nothing written."""

from __future__ import annotations

import asyncio

import pytest


def money(world, node, fen):
    return {"org_node_id": str(node.id), "commitment": "money", "money_fen": fen}


async def test_claims_with_each_kind_of_commitment_add_up_on_the_project(pp, pp_world, admin):
    world = await pp_world()
    project = await world.project(status="published", target_fen=1_000_000)
    url = f"/projects/{project['id']}/claims"
    first = await pp.ok(admin, "POST", url, money(world, world.unit, 600_000), 201)
    assert (first["claimant_name"], first["money_fen"]) == (world.unit.name, 600_000)
    await pp.ok(
        admin,
        "POST",
        url,
        {"org_node_id": str(world.enterprise.id), "commitment": "labour", "labour_hours": 120},
        201,
    )
    member = await pp.ok(
        admin,
        "POST",
        url,
        {
            "person_id": world.residents[0]["id"],
            "commitment": "material",
            "material_description": "健身器材 4 套",
            "material_value_fen": 250_000,
        },
        201,
    )
    assert member["claimant_person_id"] == world.residents[0]["id"]
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["status"], shown["claim_count"], shown["committed_fen"]) == ("claimed", 3, 600_000)
    assert [c["commitment"] for c in shown["claims"]] == ["money", "labour", "material"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"commitment": "money", "money_fen": -100}, "money_fen"),
        ({"commitment": "money", "money_fen": 12.5}, "money_fen"),
        ({"commitment": "money", "money_fen": 0}, "money_fen"),
        ({"commitment": "money"}, "money_fen"),
        ({"commitment": "labour", "labour_hours": 8, "money_fen": 100}, "money_fen"),
        ({"commitment": "material", "material_value_fen": 100}, "material_description"),
        (
            {"commitment": "material", "material_description": "  ", "material_value_fen": 100},
            "material_description",
        ),
    ],
)
async def test_bad_commitments_are_refused_naming_the_field(pp, pp_world, admin, body, field):
    world = await pp_world(residents=0)
    project = await world.project(status="published")
    response = await pp.call(
        admin, "POST", f"/projects/{project['id']}/claims", {"org_node_id": str(world.unit.id), **body}
    )
    assert response.status_code in (400, 422), response.text
    problem = response.json()
    fields = [e.get("field") for e in problem.get("errors", [])] + [
        problem.get("field"),
        problem.get("detail", ""),
    ]
    assert any(field in str(f) for f in fields), problem
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["status"], shown["claim_count"], shown["claims"]) == ("published", 0, []), "nothing written"


async def test_claimants_of_another_district_or_outside_the_callers_scope_are_refused(
    pp, pp_world, admin, make_actor, make_node
):
    world = await pp_world()
    project = await world.project(status="published")
    url = f"/projects/{project['id']}/claims"
    stranger = await make_actor()
    foreign_unit = await make_node(stranger.tenant, stranger.tenant.root_id, "unit", "外区单位")
    refused = await pp.call(admin, "POST", url, money(world, foreign_unit, 100))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "org_node_id"
    both = await pp.call(
        admin, "POST", url, {**money(world, world.unit, 100), "person_id": world.residents[0]["id"]}
    )
    assert both.status_code == 422

    # A secretary of the community reaches the community's project, not a unit outside the community.
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    outside = await pp.call(secretary, "POST", url, money(world, world.unit, 100))
    assert outside.status_code == 422 and outside.json()["errors"][0]["code"] == "unknown_organisation"
    resident = await pp.ok(
        secretary,
        "POST",
        url,
        {"person_id": world.residents[1]["id"], "commitment": "labour", "labour_hours": 6},
        201,
    )
    assert resident["claimant_person_id"] == world.residents[1]["id"]
    other_person = await world.person(world.other_community.id)
    elsewhere = await pp.call(
        secretary, "POST", url, {"person_id": other_person["id"], "commitment": "labour", "labour_hours": 6}
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["errors"][0]["field"] == "person_id"
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert shown["claim_count"] == 1

    # Another district's administrator does not even see the project.
    hidden = await pp.call(stranger, "POST", url, money(world, world.unit, 100))
    assert hidden.status_code == 404


async def test_the_same_claimant_claims_a_project_once(pp, pp_world, admin):
    world = await pp_world(residents=0)
    project = await world.project(status="published")
    url = f"/projects/{project['id']}/claims"
    await pp.ok(admin, "POST", url, money(world, world.unit, 100), 201)
    again = await pp.call(admin, "POST", url, money(world, world.unit, 200))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "org_node_id"
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["claim_count"], shown["committed_fen"]) == (1, 100)


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_claim(pp, pp_world, admin):
    world = await pp_world(residents=0)
    project = await world.project(status="published")
    url = f"/projects/{project['id']}/claims"
    key = {"Idempotency-Key": "claim-2026-0001"}
    first = await pp.call(admin, "POST", url, money(world, world.unit, 5_000), 201, headers=key)
    retry = await pp.call(admin, "POST", url, money(world, world.unit, 5_000), 200, headers=key)
    assert retry.json()["id"] == first.json()["id"]
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["claim_count"], shown["committed_fen"]) == (1, 5_000)
    bad = await pp.call(
        admin, "POST", url, money(world, world.enterprise, 1), headers={"Idempotency-Key": "bad key/*"}
    )
    assert bad.status_code == 422


async def test_concurrent_claims_never_exceed_one_lead_claimant(pp, pp_world, admin, make_node):
    world = await pp_world(residents=0)
    project = await world.project(status="published", max_claimants=1)
    url = f"/projects/{project['id']}/claims"
    units = [await make_node(admin.tenant, world.street.id, "unit", f"共建单位{n}") for n in range(6)]
    responses = await asyncio.gather(
        *(pp.call(admin, "POST", url, money(world, unit, 10_000)) for unit in units)
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert all(r.json()["code"] == "capacity_full" for r in responses if r.status_code == 409)
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["claim_count"], len(shown["claims"]), shown["committed_fen"]) == (1, 1, 10_000)


async def test_concurrent_claims_never_exceed_the_target_amount(pp, pp_world, admin, make_node):
    world = await pp_world(residents=0)
    project = await world.project(status="published", target_fen=100_000)
    url = f"/projects/{project['id']}/claims"
    units = [await make_node(admin.tenant, world.street.id, "unit", f"认领单位{n}") for n in range(5)]
    responses = await asyncio.gather(
        *(pp.call(admin, "POST", url, money(world, unit, 30_000)) for unit in units)
    )
    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(accepted) == 3 and all(r.status_code == 409 for r in refused), [r.text for r in responses]
    assert refused[0].json()["errors"][0]["field"] == "money_fen"
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["committed_fen"], len(shown["claims"])) == (90_000, 3)
    # The last 10,000 fen can still be taken; one fen more cannot.
    last = await make_node(admin.tenant, world.street.id, "unit", "最后的单位")
    over = await pp.call(admin, "POST", url, money(world, last, 10_001))
    assert over.status_code == 409 and "10000" in over.json()["detail"]
    await pp.ok(admin, "POST", url, money(world, last, 10_000), 201)


async def test_money_delivered_only_grows_up_to_what_was_committed(pp, pp_world, admin):
    world = await pp_world(residents=0)
    project = await world.project(status="published")
    claim = await pp.ok(
        admin, "POST", f"/projects/{project['id']}/claims", money(world, world.unit, 50_000), 201
    )
    url = f"/claims/{claim['id']}/delivery"
    assert (await pp.ok(admin, "POST", url, {"delivered_fen": 20_000}))["delivered_fen"] == 20_000
    down = await pp.call(admin, "POST", url, {"delivered_fen": 10_000})
    assert down.status_code == 422 and down.json()["errors"][0]["field"] == "delivered_fen"
    over = await pp.call(admin, "POST", url, {"delivered_fen": 50_001})
    assert over.status_code == 422
    negative = await pp.call(admin, "POST", url, {"delivered_fen": -1})
    assert negative.status_code in (400, 422)
    await pp.ok(admin, "POST", url, {"delivered_fen": 50_000})
    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["committed_fen"], shown["delivered_fen"]) == (50_000, 50_000)
