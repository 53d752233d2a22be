"""Isolation examples of the people routes (see ``registry.py``).

People are created through the API as A's system administrator, at B1 or
C1 under street S1, so the sibling-street secretary (who holds every
person permission, at S2) must not reach them either.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from core.people.validation import make_id_card
from tests.isolation.registry import Example, register
from tests.isolation.world import World

API = "/api/v1/people"


async def person(w: World, node_id: uuid.UUID, *, member: bool = False) -> uuid.UUID:
    """A fresh person of tenant A at ``node_id`` (a full party member if ``member``)."""
    for _attempt in range(5):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=secrets.randbelow(15_000))
        card = make_id_card("320502", birth, secrets.randbelow(100), "female", variant=secrets.randbelow(5))
        body: dict[str, object] = {
            "name": f"居民{secrets.token_hex(3)}",
            "id_card": card,
            "org_node_id": str(node_id),
        }
        if member:
            body |= {
                "party_status": "full",
                "joined_on": birth.replace(year=birth.year + 20, day=1).isoformat(),
                "full_member_on": birth.replace(year=birth.year + 21, day=1).isoformat(),
            }
        response = await w.call(w.owners["system"], "POST", API, body)
        if response.status_code == 409:  # the random ID card number is taken: draw again
            continue
        assert response.status_code == 201, response.text
        person_id = uuid.UUID(response.json()["id"])
        w.remember(person_id, w.paths[node_id])
        return person_id
    raise RuntimeError("no free ID card number")


async def affiliation(w: World, person_id: uuid.UUID, node_id: uuid.UUID, kind: str) -> uuid.UUID:
    response = await w.call(
        w.owners["system"],
        "POST",
        f"{API}/{person_id}/affiliations",
        {"org_node_id": str(node_id), "kind": kind},
    )
    assert response.status_code == 201, response.text
    affiliation_id = uuid.UUID(response.json()["id"])
    w.remember(affiliation_id, w.paths[node_id])
    return affiliation_id


@register("GET", API)
async def people_list(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(API, params={"limit": 200}, kind="collection", owner_sees=(str(someone),))


@register("POST", API)
async def people_create(w: World) -> Example:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=secrets.randbelow(15_000))
    card = make_id_card("320503", birth, secrets.randbelow(100), "male", variant=secrets.randbelow(5))
    return Example(
        API,
        json={"name": "新居民", "id_card": card, "org_node_id": str(w.b1)},
        expect=201,
        readback=f"{API}?node_id={w.b1}&limit=200",
    )


@register("GET", f"{API}/affiliation-kinds")
async def people_affiliation_kinds(w: World) -> Example:
    return Example(f"{API}/affiliation-kinds", kind="collection", owner_sees=('"check_in"',))


@register("GET", f"{API}/{{person_id:uuid}}")
async def people_read(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(f"{API}/{someone}", owner_sees=(str(someone),))


@register("PATCH", f"{API}/{{person_id:uuid}}")
async def people_update(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(
        f"{API}/{someone}", json={"address": f"和平路{secrets.randbelow(999)}号"}, readback=f"{API}/{someone}"
    )


@register("POST", f"{API}/{{person_id:uuid}}/unmask")
async def people_unmask(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(f"{API}/{someone}/unmask", owner_sees=('"id_card":"320502',))


@register("GET", f"{API}/{{person_id:uuid}}/personal-data")
async def people_personal_data(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(f"{API}/{someone}/personal-data", owner_sees=(str(someone), '"id_card":"320502'))


@register("POST", f"{API}/{{person_id:uuid}}/move")
async def people_move(w: World) -> Example:
    someone = await person(w, w.b1, member=True)
    target = await w.node(w.c1, "branch")
    return Example(f"{API}/{someone}/move", json={"org_node_id": str(target)}, readback=f"{API}/{someone}")


@register("POST", f"{API}/{{person_id:uuid}}/archive")
async def people_archive(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(f"{API}/{someone}/archive", readback=f"{API}/{someone}")


@register("POST", f"{API}/{{person_id:uuid}}/restore")
async def people_restore(w: World) -> Example:
    someone = await person(w, w.b1, member=True)
    archived = await w.call(w.owners["system"], "POST", f"{API}/{someone}/archive")
    assert archived.status_code == 200, archived.text
    return Example(f"{API}/{someone}/restore", readback=f"{API}/{someone}")


@register("GET", f"{API}/{{person_id:uuid}}/relations")
async def people_relations(w: World) -> Example:
    someone = await person(w, w.b1, member=True)
    return Example(f"{API}/{someone}/relations", owner_sees=(str(w.b1),))


@register("GET", f"{API}/{{person_id:uuid}}/affiliations")
async def people_affiliations(w: World) -> Example:
    someone = await person(w, w.b1)
    tie = await affiliation(w, someone, w.c1, "check_in")
    return Example(f"{API}/{someone}/affiliations", owner_sees=(str(tie),))


@register("POST", f"{API}/{{person_id:uuid}}/affiliations")
async def people_add_affiliation(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(
        f"{API}/{someone}/affiliations",
        json={"org_node_id": str(w.c1), "kind": "volunteer"},
        expect=201,
        readback=f"{API}/{someone}/affiliations",
    )


@register("POST", f"{API}/{{person_id:uuid}}/affiliations/{{affiliation_id:uuid}}/end")
async def people_end_affiliation(w: World) -> Example:
    someone = await person(w, w.b1)
    tie = await affiliation(w, someone, w.c1, "check_in")
    return Example(
        f"{API}/{someone}/affiliations/{tie}/end", json={}, readback=f"{API}/{someone}/affiliations"
    )


async def data_request(w: World, person_id: uuid.UUID, body: dict[str, object] | None = None) -> uuid.UUID:
    """A fresh open request about one of A's people under S1 (a correction of the address by default)."""
    kind = "erasure" if body is None else "correction"
    response = await w.call(
        w.owners["system"],
        "POST",
        f"{API}/{person_id}/data-requests/{kind}",
        body if body is not None else {},
    )
    assert response.status_code == 201, response.text
    request_id = uuid.UUID(response.json()["id"])
    w.remember(request_id, w.paths[w.b1])
    return request_id


@register("POST", f"{API}/{{person_id:uuid}}/data-requests/correction")
async def people_request_correction(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(
        f"{API}/{someone}/data-requests/correction",
        json={"changes": {"address": "解放路9号"}},
        expect=201,
        readback=f"{API}/{someone}/data-requests",
    )


@register("POST", f"{API}/{{person_id:uuid}}/data-requests/erasure")
async def people_request_erasure(w: World) -> Example:
    someone = await person(w, w.b1)
    return Example(
        f"{API}/{someone}/data-requests/erasure",
        json={},
        expect=201,
        readback=f"{API}/{someone}/data-requests",
    )


@register("GET", f"{API}/{{person_id:uuid}}/data-requests")
async def people_data_requests(w: World) -> Example:
    someone = await person(w, w.b1)
    request_id = await data_request(w, someone)
    return Example(f"{API}/{someone}/data-requests", owner_sees=(str(request_id),))


@register("POST", f"{API}/{{person_id:uuid}}/data-requests/{{request_id:uuid}}/decide")
async def people_decide_data_request(w: World) -> Example:
    someone = await person(w, w.b1)
    request_id = await data_request(w, someone, {"changes": {"address": f"解放路{secrets.randbelow(999)}号"}})
    return Example(
        f"{API}/{someone}/data-requests/{request_id}/decide",
        json={"decision": "apply"},
        readback=f"{API}/{someone}",
        owner_sees=(str(request_id),),
    )
