"""The demo district generator: the case-study figures, determinism and tree validity."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import msgspec
import pytest

from core.demo import DemoPlan, DemoSpec, StreetSpec, generate, load_spec
from core.orgs import kinds
from core.people.models import CATEGORIES, EDUCATIONS
from core.people.validation import check_id_card, normalise_phone

TENANT_FILE = Path(__file__).resolve().parent.parent / "tenants" / "runzhou.toml"
REFERENCE = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def spec() -> DemoSpec:
    return msgspec.structs.replace(load_spec(TENANT_FILE), reference_date=REFERENCE)


@pytest.fixture(scope="module")
def plan(spec: DemoSpec) -> DemoPlan:
    return generate(spec)


def of_kind(plan: DemoPlan, kind: str) -> list[str]:
    return [n.name for n in plan.nodes if n.kind == kind]


def test_spec_carries_the_case_study_figures(spec: DemoSpec) -> None:
    assert spec.region_code == "321111"
    assert [s.name for s in spec.streets] == [
        "和平路街道",
        "宝塔路街道",
        "金山街道",
        "七里甸街道",
        "官塘桥街道",
        "蒋乔街道",
        "韦岗街道",
    ]
    assert sum(s.urban_communities for s in spec.streets) == 39
    assert sum(s.agricultural_communities for s in spec.streets) == 13
    assert sum(s.villages for s in spec.streets) == 8
    rural = {s.name for s in spec.streets if s.agricultural_communities or s.villages}
    assert rural == {"官塘桥街道", "蒋乔街道", "韦岗街道"}
    assert (spec.branches, spec.members) == (489, 12000)
    assert (spec.resident_units, spec.central_units, spec.provincial_units) == (99, 7, 9)


def test_counts(plan: DemoPlan) -> None:
    counts = collections.Counter(n.kind for n in plan.nodes)
    assert counts["street"] == 7
    assert counts["community"] == 52
    assert counts["village"] == 8
    assert counts["branch"] == 489
    assert counts["unit"] == 99
    assert len(plan.people) == 12000
    levels = collections.Counter(n.attrs["level"] for n in plan.nodes if n.kind == "unit")
    assert levels == {"central": 7, "provincial": 9, "municipal": 83}


def test_agricultural_communities_and_villages_sit_in_the_rural_streets(plan: DemoPlan) -> None:
    streets = {n.key: n.name for n in plan.nodes if n.kind == "street"}
    names = {n.key: n.name for n in plan.nodes}
    # Agricultural communities are numbered 101+ and villages 201+ within their street (GB/T 10114 style).
    agricultural = [n for n in plan.nodes if n.kind == "community" and n.code and n.code[-3] == "1"]
    assert len(agricultural) == 13
    villages = [n for n in plan.nodes if n.kind == "village"]
    assert {streets[n.parent_key] for n in agricultural + villages if n.parent_key} == {
        "官塘桥街道",
        "蒋乔街道",
        "韦岗街道",
    }
    assert "长山社区" in {n.name for n in agricultural}
    assert names["s01"] == "和平路街道"
    assert names["s01/c001"] == "大西路社区"


def test_deterministic(spec: DemoSpec, plan: DemoPlan) -> None:
    again = generate(spec)
    assert again == plan
    assert msgspec.json.encode(again) == msgspec.json.encode(plan)


def test_other_seed_differs(spec: DemoSpec, plan: DemoPlan) -> None:
    other = generate(msgspec.structs.replace(spec, seed=spec.seed + 1))
    assert len(other.people) == 12000
    assert [p.id_card for p in other.people[:20]] != [p.id_card for p in plan.people[:20]]


def test_every_placement_is_allowed_by_the_kind_registry(plan: DemoPlan) -> None:
    kind_of: dict[str | None, str] = {None: kinds.ROOT_KIND}
    for node in plan.nodes:
        assert node.parent_key in kind_of, f"{node.key} comes before its parent"
        kind = kinds.get_kind(node.kind)
        assert kind_of[node.parent_key] in kind.parents, (node.key, node.kind, kind_of[node.parent_key])
        msgspec.convert(node.attrs, kind.attrs)
        assert node.key not in kind_of, f"duplicate key {node.key}"
        kind_of[node.key] = node.kind


def test_names_unique_among_siblings_and_codes_unique(plan: DemoPlan) -> None:
    siblings = collections.Counter((n.parent_key, n.name) for n in plan.nodes)
    assert [pair for pair, count in siblings.items() if count > 1] == []
    codes = [n.code for n in plan.nodes if n.code is not None]
    assert len(codes) == len(set(codes))
    assert all(1 <= len(n.name) <= 200 for n in plan.nodes)


def test_branch_names_and_structure(plan: DemoPlan) -> None:
    branches = of_kind(plan, "branch")
    assert "大西路社区第一党支部" in branches
    assert any(name.endswith("退休党员党支部") or "退休党员第" in name for name in branches)
    by_key = {n.key: n for n in plan.nodes}
    for node in plan.nodes:
        if node.kind == "general_branch":
            assert node.name.endswith("党总支")
            assert node.parent_key is not None and by_key[node.parent_key].kind in ("community", "village")
        if node.kind == "party_committee":
            assert node.name.endswith("党委")
            assert node.parent_key is not None and by_key[node.parent_key].kind == "unit"
    hosts = {by_key[n.parent_key].kind for n in plan.nodes if n.kind == "branch" and n.parent_key}
    assert {"community", "village", "unit", "general_branch", "party_committee"} <= hosts
    joint = [n for n in plan.nodes if "joint_unit_count" in n.attrs]
    assert joint and all(2 <= n.attrs["joint_unit_count"] <= 5 for n in joint)


def test_people_belong_to_member_holding_branches(plan: DemoPlan) -> None:
    kind_of = {n.key: n.kind for n in plan.nodes}
    member_kinds = kinds.member_kinds()
    assert all(kind_of[p.node_key] in member_kinds for p in plan.people)
    assert {kind_of[p.node_key] for p in plan.people} == {"branch"}


def test_branch_sizes_follow_the_rules_with_a_few_outliers(plan: DemoPlan) -> None:
    sizes = collections.Counter(p.node_key for p in plan.people)
    branch_keys = [n.key for n in plan.nodes if n.kind == "branch"]
    assert sum(sizes[k] for k in branch_keys) == 12000
    outside = [sizes[k] for k in branch_keys if not 3 <= sizes[k] <= 50]
    assert 1 <= len(outside) <= 10
    assert min(sizes[k] for k in branch_keys) >= 1


def test_general_branches_and_unit_committees_fit_their_thresholds(plan: DemoPlan) -> None:
    parent = {n.key: n.parent_key for n in plan.nodes}
    per_group: collections.Counter[str] = collections.Counter()
    for person in plan.people:
        group = parent[person.node_key]
        if group is not None:
            per_group[group] += 1
    for node in plan.nodes:
        if node.kind == "general_branch":
            assert 50 <= per_group[node.key] <= 100, node.name
        if node.kind == "party_committee":
            assert per_group[node.key] >= 100, node.name


def test_people_fields_are_valid(plan: DemoPlan) -> None:
    ids = set()
    for person in plan.people:
        card = check_id_card(person.id_card, today=REFERENCE)
        assert card.number == person.id_card
        assert card.region == "321111"
        assert card.birth_date == person.birth_date
        assert card.gender == person.gender
        ids.add(person.id_card)
        assert normalise_phone(person.phone) == person.phone and len(person.phone) == 11
        assert person.education in EDUCATIONS
        assert person.category in CATEGORIES
        assert person.address.startswith("镇江市润州区")
        assert 2 <= len(person.name) <= 4
        assert (person.joined_on - person.birth_date).days >= 18 * 365
        if person.party_status == "full":
            assert person.full_member_on is not None
            assert person.full_member_on <= REFERENCE
            assert (person.full_member_on - person.joined_on).days in (365, 366)
        else:
            assert person.party_status == "probationary"
            assert person.full_member_on is None
            assert REFERENCE - dt.timedelta(days=365) < person.joined_on <= REFERENCE
    assert len(ids) == 12000


def test_people_look_like_a_district(plan: DemoPlan) -> None:
    people = plan.people
    probationary = sum(p.party_status == "probationary" for p in people)
    assert 50 <= probationary <= 400
    assert 0.5 < sum(p.gender == "male" for p in people) / len(people) < 0.7
    categories = collections.Counter(p.category for p in people)
    assert set(categories) == set(CATEGORIES)
    assert sum(p.ethnicity == "汉族" for p in people) / len(people) > 0.97
    surnames = collections.Counter(p.name[0] for p in people)
    assert surnames.most_common(1)[0][0] == "王"
    assert len(surnames) > 80
    unit_people = [p for p in people if p.node_key.startswith("u")]
    assert unit_people and all(p.work_unit for p in unit_people)


def test_small_spec_hits_exact_totals() -> None:
    spec = DemoSpec(
        seed=7,
        streets=[
            StreetSpec(name="甲街道", urban_communities=2, agricultural_communities=1, villages=1),
            StreetSpec(name="乙街道", urban_communities=1),
        ],
        branches=13,
        members=250,
        resident_units=4,
        central_units=1,
        provincial_units=1,
        reference_date=REFERENCE,
    )
    plan = generate(spec)
    counts = collections.Counter(n.kind for n in plan.nodes)
    assert (counts["street"], counts["community"], counts["village"], counts["unit"]) == (2, 4, 1, 4)
    assert counts["branch"] == 13
    assert len(plan.people) == 250
    codes = [n.code for n in plan.nodes if n.kind in ("street", "community", "village")]
    assert codes[:2] == ["321111001", "321111001001"]
    # Invented names fill in where the spec gives none, still unique among siblings.
    assert len({(n.parent_key, n.name) for n in plan.nodes}) == len(plan.nodes)


def test_inconsistent_specs_are_rejected() -> None:
    street = StreetSpec(name="甲街道", urban_communities=1)
    with pytest.raises(ValueError, match="exceed"):
        generate(DemoSpec(seed=1, streets=[street], branches=1, members=5, resident_units=1, central_units=2))
    with pytest.raises(ValueError, match="at least one branch"):
        generate(DemoSpec(seed=1, streets=[street], branches=0, members=5))
    with pytest.raises(ValueError, match="unique"):
        generate(DemoSpec(seed=1, streets=[street, street], branches=2, members=5))


def test_load_spec_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('code = "320102"\n[demo]\nseed = 1\nbranches = 1\nmembers = 1\nstreets = []\nstret = 1\n')
    with pytest.raises(msgspec.ValidationError, match="stret"):
        load_spec(path)
    path.write_text('code = "320102"\n[demo]\nseed = 1\nbranches = 0\nmembers = 0\nstreets = []\n')
    assert load_spec(path).region_code == "320102"


def test_fast_enough(spec: DemoSpec) -> None:
    import time

    started = time.perf_counter()
    generate(spec)
    assert time.perf_counter() - started < 2.0
