"""Demo records for the demo district, after the seed: "10 demonstration zones led by renowned
communities such as 光华 and 万科, radiating 150+ resident units and two-new organisations".

Each zone is led by a real community of Runzhou (where the generated tree has it), gets its joint
committee (非建制联合党委) as a node under that community, 15–17 member organisations of its
street (resident units, two-new organisations, neighbouring communities and their branches),
shared activities at the lead community's place, an exported experience or two adopted by other
communities, and its periodic reviews (one or two of them overdue). Deterministic for a given
tree (seeded); dated relative to the plan's reference date.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import OrgNode, Person, add_node, district_today, get_kind, in_subtree, new_id
from plugins.model_zones.models import (
    ZONE_ACTIVE,
    Zone,
    ZoneActivity,
    ZoneActivityOrganisation,
    ZoneAdoption,
    ZoneExperience,
    ZoneMember,
    ZoneReview,
)
from plugins.model_zones.services import COMMITTEE_KIND, add_months

# The lead communities (领头雁), the seed's 光华 and 万科 first; one or two per street.
LEADS = (
    "光华社区",
    "万科社区",
    "和平路社区",
    "宝塔路社区",
    "官塘社区",
    "蒋乔社区",
    "韦岗社区",
    "西津渡社区",
    "南门社区",
    "大西路社区",
)
ZONES = 10
MEMBERS_PER_ZONE = (15, 17)
MEMBER_KINDS = ("unit", "enterprise", "social_org", "property_company", "owners_committee")
ACTIVITY_TITLES = (
    "片区联合主题党日",
    "“红色物业”共建推进会",
    "片区志愿服务集中行动",
    "驻区单位开放日",
    "党建联席议事会",
    "“两新”组织党建观摩",
    "片区党员冬训联学",
    "邻里节暨共建项目发布",
    "老旧小区改造协商会",
    "困难群众走访慰问",
)
EXPERIENCES = (
    ("“1+X”雁阵工作法", "以名社区、名书记为头雁，成立非建制联合党委，统筹片区资源，带动周边组织整片建强。"),
    ("“红色物业”联建机制", "社区党组织牵头，物业公司、业委会共同参与，议事协商解决小区治理难题。"),
    ("驻区单位“双向服务清单”", "片区内驻区单位与社区互列资源、需求、项目清单，按季度对账销号。"),
    ("“两新”组织党建联盟", "以片区为单元组建非公企业和社会组织党建联盟，共享阵地，联办活动。"),
)
REVIEWERS = ("区委组织部", "街道党工委", "区委组织部组织科")
FINDINGS = (
    "联建机制运行顺畅，活动联办常态化，经验做法在全区推广。",
    "成员单位参与度较高，资源共享清单落实较好；建议加强活动台账管理。",
    "片区作用发挥一般，部分成员单位参与不足，需限期整改。",
)


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo zones into the session's district; returns how many rows of each kind."""
    today: dt.date = getattr(plan, "reference_date", None) or district_today()
    rng = random.Random(today.toordinal())
    communities = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind == "community", OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    by_name = {c.name: c for c in communities}
    leads = [by_name[name] for name in LEADS if name in by_name]
    for community in communities:
        if len(leads) >= ZONES:
            break
        if community not in leads:
            leads.append(community)
    if not leads:
        return {"zones": 0}
    candidates = list(
        await session.scalars(
            select(OrgNode)
            .where(
                OrgNode.kind.in_((*MEMBER_KINDS, "community", "village", "branch", "general_branch")),
                OrgNode.archived_at.is_(None),
            )
            .order_by(OrgNode.path)
        )
    )
    used: set[Any] = {lead.id for lead in leads}
    allowed_parents = get_kind(COMMITTEE_KIND).parents
    tenant_id = session.info["tenant_id"]
    now = dt.datetime.now(dt.UTC)
    rows: dict[type[Any], list[dict[str, Any]]] = {
        model: []
        for model in (
            Zone,
            ZoneMember,
            ZoneActivity,
            ZoneActivityOrganisation,
            ZoneExperience,
            ZoneAdoption,
            ZoneReview,
        )
    }
    radiated = 0
    for index, lead in enumerate(leads[:ZONES]):
        street_path = lead.path.removesuffix(f"{lead.id.hex}/")
        name = f"{lead.name.removesuffix('社区')}示范片区"
        parent = lead if lead.kind in allowed_parents else None
        if parent is None:
            continue
        committee = await add_node(session, parent, COMMITTEE_KIND, f"{name}联合党委")
        person = (
            await session.scalars(
                select(Person.id)
                .join(OrgNode, (OrgNode.tenant_id == Person.tenant_id) & (OrgNode.id == Person.org_node_id))
                .where(in_subtree(OrgNode.path, lead.path))
                .order_by(Person.id)
                .limit(1)
            )
        ).first() or (await session.scalars(select(Person.id).order_by(Person.id).limit(1))).first()
        if person is None:
            continue
        established = dt.date(2019 + index % 3, 3 + index % 6, 1)
        zone_id = new_id()
        rows[Zone].append(
            {
                "id": zone_id,
                "org_node_id": committee.id,
                "lead_node_id": lead.id,
                "lead_person_id": person,
                "name": name,
                "description": f"以{lead.name}为领头雁，联合周边驻区单位、“两新”组织和社区共建共享。",
                "established_on": established,
                "status": ZONE_ACTIVE,
                "dissolved_on": None,
            }
        )

        # Members: the street's units and two-new organisations first, then neighbouring communities
        # and the branches around them, never one organisation in two zones.
        def rank(node: OrgNode, street_path: str = street_path, lead: OrgNode = lead) -> tuple[int, str]:
            near = node.path.startswith(street_path)
            inside = node.path.startswith(lead.path)
            order = 0 if node.kind in MEMBER_KINDS else (1 if node.kind in ("community", "village") else 2)
            return (0 if near and not inside else (1 if near else 2)) * 3 + order, node.path

        wanted = rng.randint(*MEMBERS_PER_ZONE)
        chosen = [c for c in sorted(candidates, key=rank) if c.id not in used][:wanted]
        joined = []
        for node in chosen:
            used.add(node.id)
            joined_on = min(today, established + dt.timedelta(days=rng.randint(0, 400)))
            rows[ZoneMember].append(
                {
                    "id": new_id(),
                    "zone_id": zone_id,
                    "org_node_id": committee.id,
                    "member_node_id": node.id,
                    "joined_on": joined_on,
                    "note": None,
                }
            )
            joined.append(node)
        radiated += len(chosen)

        place = lead.attrs or {}
        has_place = place.get("longitude") is not None and place.get("latitude") is not None
        longitude = float(place["longitude"]) if has_place else 0.0
        latitude = float(place["latitude"]) if has_place else 0.0
        for n in range(rng.randint(6, 10)):
            held_on = today - dt.timedelta(days=rng.randint(3, 360))
            activity_id = new_id()
            rows[ZoneActivity].append(
                {
                    "id": activity_id,
                    "zone_id": zone_id,
                    "org_node_id": committee.id,
                    "title": ACTIVITY_TITLES[(index + n) % len(ACTIVITY_TITLES)],
                    "held_on": max(held_on, established),
                    "place": f"{lead.name}党群服务中心",
                    "longitude": round(longitude + rng.uniform(-0.002, 0.002), 6) if has_place else None,
                    "latitude": round(latitude + rng.uniform(-0.002, 0.002), 6) if has_place else None,
                    "participants": rng.randint(30, 180),
                    "description": None,
                }
            )
            for node in [lead, *rng.sample(joined, min(len(joined), rng.randint(2, 5)))]:
                rows[ZoneActivityOrganisation].append(
                    {"id": new_id(), "activity_id": activity_id, "member_node_id": node.id}
                )

        adopters = [c for c in communities if c.id != lead.id]
        for e in range(1 + index % 2):
            title, summary = EXPERIENCES[(index + e) % len(EXPERIENCES)]
            experience_id = new_id()
            exported_on = min(today, add_months(established, 12 + 6 * e))
            rows[ZoneExperience].append(
                {
                    "id": experience_id,
                    "zone_id": zone_id,
                    "org_node_id": committee.id,
                    "title": title,
                    "summary": summary,
                    "exported_on": exported_on,
                }
            )
            for adopter in rng.sample(adopters, min(len(adopters), rng.randint(2, 5))):
                rows[ZoneAdoption].append(
                    {
                        "id": new_id(),
                        "experience_id": experience_id,
                        "org_node_id": committee.id,
                        "adopter_node_id": adopter.id,
                        "adopted_on": min(today, exported_on + dt.timedelta(days=rng.randint(10, 120))),
                        "note": None,
                    }
                )

        # Reviews every half year; the last zones' latest review is older (they are overdue).
        last = today - dt.timedelta(days=rng.randint(20, 150) if index < ZONES - 2 else rng.randint(200, 260))
        for back in range(2):
            reviewed_on = add_months(last, -6 * back)
            if reviewed_on < established:
                break
            rating = "excellent" if index % 3 == 0 else ("good" if index % 3 == 1 else "fair")
            rows[ZoneReview].append(
                {
                    "id": new_id(),
                    "zone_id": zone_id,
                    "org_node_id": committee.id,
                    "reviewed_on": reviewed_on,
                    "reviewer": REVIEWERS[back % len(REVIEWERS)],
                    "rating": rating,
                    "findings": FINDINGS[("excellent", "good", "fair").index(rating)],
                }
            )
    for model, batch in rows.items():
        stamped = [{"tenant_id": tenant_id, **row} for row in batch]
        if model is not ZoneActivityOrganisation:
            for row in stamped:
                row.update(created_at=now, updated_at=now)
        for start in range(0, len(stamped), 500):
            await session.execute(insert(model), stamped[start : start + 500])
    return {
        "zones": len(rows[Zone]),
        "organisations_radiated": radiated,
        "activities": len(rows[ZoneActivity]),
        "experiences": len(rows[ZoneExperience]),
        "adoptions": len(rows[ZoneAdoption]),
        "reviews": len(rows[ZoneReview]),
    }
