"""Generate the demo district's organisation tree and party members as plain objects.

No database here: ``generate`` turns the ``[demo]`` table of a tenant file
into a ``DemoPlan`` that a loader writes in one pass. Everything random
comes from one ``random.Random(spec.seed)`` consumed in a fixed order, so
the same spec gives the same plan; dates are computed from
``spec.reference_date`` (today when unset), which a spec pins to make the
plan identical on every day.

The shape follows MECHANISMS.md: street → community/village → branches
(retired members' branches grouped under a general branch when a community
has several), resident units with their own branches (a unit party
committee above them when a unit has three or more), branch sizes mostly
within the 3–50 rule, general branches within 50–100 members and unit
party committees above 100. A handful of branches deliberately break the
size rule and a few committees are past their term, so the demo shows the
warnings the platform raises. All people and most names are invented.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from core.orgs import kinds
from core.people.models import CATEGORIES, EDUCATIONS
from core.people.validation import make_id_card

Count = Annotated[int, Meta(ge=0)]


class StreetSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One street; names beyond the given lists are invented."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    code: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.\-]+$")] | None = None
    urban_communities: Count = 0
    agricultural_communities: Count = 0
    villages: Count = 0
    community_names: list[str] = msgspec.field(default_factory=list)
    agricultural_names: list[str] = msgspec.field(default_factory=list)
    village_names: list[str] = msgspec.field(default_factory=list)
    roads: list[str] = msgspec.field(default_factory=list)


class DemoSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[demo]`` table of a tenant file."""

    seed: int
    streets: list[StreetSpec]
    branches: Count
    members: Count
    resident_units: Count = 0
    central_units: Count = 0
    provincial_units: Count = 0
    reference_date: dt.date | None = None
    region_code: Annotated[str, Meta(pattern=r"^[1-6]\d{5}$")] = "321111"
    city: str = "镇江"
    address_prefix: str = "镇江市润州区"
    area_code: Annotated[str, Meta(pattern=r"^0\d{2,3}$")] = "0511"


class NodePlan(msgspec.Struct, frozen=True):
    """An organisation to create; ``parent_key`` None means under the district root."""

    key: str
    parent_key: str | None
    kind: str
    name: str
    code: str | None = None
    attrs: dict[str, Any] = msgspec.field(default_factory=dict)


class PersonPlan(msgspec.Struct, frozen=True):
    """A party member whose formal relation (组织关系) is held by the branch ``node_key``."""

    name: str
    gender: Literal["male", "female"]
    ethnicity: str
    birth_date: dt.date
    id_card: str
    phone: str
    education: str
    party_status: Literal["full", "probationary"]
    joined_on: dt.date
    full_member_on: dt.date | None
    category: str
    work_unit: str | None
    address: str
    node_key: str


class DemoPlan(msgspec.Struct, frozen=True):
    reference_date: dt.date
    nodes: list[NodePlan]
    people: list[PersonPlan]


def load_spec(path: str | Path) -> DemoSpec:
    """The ``[demo]`` table of a tenant TOML file; the region defaults to the tenant's code."""
    with Path(path).open("rb") as handle:
        data = tomllib.load(handle)
    if "demo" not in data:
        raise ValueError(f"{path} has no [demo] table")
    raw = dict(data["demo"])
    if "region_code" not in raw and "code" in data:
        raw["region_code"] = data["code"]
    return msgspec.convert(raw, DemoSpec)


def generate(spec: DemoSpec) -> DemoPlan:
    """The whole demo district for ``spec``: nodes parent-first, then people."""
    return _Generator(spec).run()


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- name material -------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Roughly the national frequency curve: the first few surnames cover a fifth of people.
_SURNAME_CUM = tuple(
    sum(1.0 / (rank + 4) ** 1.1 for rank in range(upto + 1)) for upto in range(len(SURNAMES))
)
_MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛"
    "昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦奇"
    "翰朗伯宏言鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士建家致树德行时泰盛雄琛钧冠策腾楠航弘"
)
_FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱霞香月媛艳瑞佳嘉琼勤珍贞"
    "莉桂叶璐琦晶妍茜秋珊莎锦青倩婷婉娴瑾颖露瑶怡雁蓓仪荷丹蓉君琴蕊薇菁梦岚苑婕馨韵园艺卿澜纯悦昭冰琬茗羽欣"
    "滢筠柔竹凝晓欢枫芸菲伊亚宜可舒思丽"
)
# Given names that were common for people born before about 1960.
_CLASSIC_MALE = _words(
    "建国 建华 建军 国强 国华 国庆 卫国 卫东 志强 志明 德明 德才 长林 长生 金宝 金生 福林 "
    "洪生 春生 根宝 荣华 学文 振华 永康 兴华 宝林 家宝 和平 解放 跃进"
)
_CLASSIC_FEMALE = _words(
    "秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉珍 桂芳 秀芳 玉梅 美华 翠英 桂珍 兰英 菊英 金凤 "
    "小妹 月娥 素珍 玉华 秀华 凤兰 淑珍 爱华 红英"
)
_ETHNICITIES = ("汉族", "回族", "满族", "蒙古族", "壮族", "土家族", "苗族", "朝鲜族")
_ETHNICITY_CUM = (98.6, 99.1, 99.4, 99.55, 99.7, 99.8, 99.9, 100.0)
_MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 "
    "152 153 155 156 157 158 159 166 173 177 180 181 "
    "182 183 187 188 189 191 198 199"
)
_PLACE_WORDS = _words(
    "东风 新民 红星 建设 胜利 友谊 幸福 和谐 阳光 翠竹 丹凤 润扬 金港 滨江 桂花 玉带 青山 "
    "梦溪 北固 运河 映山 清风 丰收 朝阳 长青 新华 群力 永安 同心 向阳"
)
_GENERIC_ROADS = _words("人民路 建设路 解放路 文化路 学府路 中山路 健康路 新华路 南环路 花园路")
_FIRM_WORDS = _words("恒通 华宇 润扬 金港 鼎盛 瑞达 新世纪 大港 宏达 诚信 汇源 天成 中盛 远航 京江 铁瓮")
_FIRM_TRADES = _words(
    "科技 建设工程 物流 商贸 电子 餐饮管理 物业管理 医药 信息技术 装饰工程 机械制造 文化传媒 "
    "会计师事务所 律师事务所"
)
_OTHER_CITIES = _words("南京 上海 苏州 无锡 常州 扬州 杭州 深圳 合肥")

# Resident units by level: (name template, sector). Invented or generic
# descriptions of the kind of unit a prefecture-level city centre hosts.
_CENTRAL_UNITS = (
    ("国网{city}供电公司", "utility"),
    ("中国移动{city}分公司", "utility"),
    ("中国电信{city}分公司", "utility"),
    ("中国联通{city}分公司", "utility"),
    ("中国邮政集团{city}市分公司", "utility"),
    ("中国工商银行{city}分行", "bank"),
    ("中国农业银行{city}分行", "bank"),
    ("中国银行{city}分行", "bank"),
    ("中国建设银行{city}分行", "bank"),
    ("国家税务总局{city}市税务局", "gov"),
    ("中国石化{city}石油分公司", "enterprise"),
    ("国家统计局{city}调查队", "gov"),
)
_PROVINCIAL_UNITS = (
    ("江苏大学附属医院", "hospital"),
    ("江苏科技大学", "school"),
    ("江苏银行{city}分行", "bank"),
    ("江苏有线{city}分公司", "utility"),
    ("江苏交通控股{city}管理处", "enterprise"),
    ("江苏省{city}技师学院", "school"),
    ("江苏省{city}船厂", "enterprise"),
    ("江苏省烟草公司{city}市公司", "enterprise"),
    ("江苏省{city}水文水资源勘测局", "gov"),
    ("江苏省{city}环境监测中心", "gov"),
    ("江苏省{city}中学", "school"),
)
_MUNICIPAL_BUREAUS = _words(
    "发展和改革委员会 教育局 科学技术局 工业和信息化局 民政局 司法局 财政局 人力资源和社会保障局 "
    "自然资源和规划局 生态环境局 住房和城乡建设局 城市管理局 交通运输局 水利局 农业农村局 商务局 "
    "文化广电和旅游局 卫生健康委员会 退役军人事务局 应急管理局 审计局 市场监督管理局 统计局 "
    "医疗保障局 信访局 机关事务管理局 体育局 数据局 住房公积金管理中心 政务服务管理办公室 "
    "中级人民法院 人民检察院 委党校 消防救援支队"
)
_MUNICIPAL_UNITS = (
    *((f"{{city}}市{bureau}", "gov") for bureau in _MUNICIPAL_BUREAUS),
    *(
        (name, "hospital")
        for name in (
            "{city}市第一人民医院",
            "{city}市第三人民医院",
            "{city}市中西医结合医院",
            "{city}市妇幼保健院",
            "{city}市精神卫生中心",
            "{city}市疾病预防控制中心",
            "{city}市急救中心",
            "{city}市口腔医院",
            "{city}市中心血站",
        )
    ),
    *(
        (name, "school")
        for name in (
            "{city}市第一中学",
            "{city}市第二中学",
            "{city}市实验高级中学",
            "{city}市外国语学校",
            "{city}市实验学校",
            "{city}市中山路小学",
            "{city}市江滨实验小学",
            "{city}市特殊教育中心",
            "{city}市高等职业技术学校",
            "{city}市卫生学校",
            "{city}开放大学",
        )
    ),
    *(
        (name, "enterprise")
        for name in (
            "{city}市城市建设投资集团",
            "{city}交通产业集团",
            "{city}文化旅游产业集团",
            "{city}市水业总公司",
            "{city}市公共交通公司",
            "{city}港务集团",
            "{city}市燃气集团",
            "{city}市国有资产投资经营公司",
            "{city}市供销合作总社",
            "{city}市粮食储备库",
        )
    ),
    *(
        (name, "culture")
        for name in (
            "{city}日报社",
            "{city}广播电视台",
            "{city}市图书馆",
            "{city}博物馆",
            "{city}市档案馆",
            "{city}市文化馆",
        )
    ),
    *(
        (name, "gov")
        for name in (
            "{city}市总工会",
            "共青团{city}市委员会",
            "{city}市妇女联合会",
            "{city}市科学技术协会",
            "{city}市文学艺术界联合会",
            "{city}市红十字会",
            "{city}市残疾人联合会",
            "{city}市工商业联合会",
        )
    ),
)
_DEPARTMENTS = {
    "hospital": _words("机关 内科 外科 医技 护理 门诊 药学 行政后勤"),
    "school": _words("行政 教工第一 教工第二 教工第三 后勤 教辅"),
    "bank": _words("机关 营业部 公司业务部 个人金融部 运营管理部 风险管理部"),
    "utility": _words("机关 市场经营部 网络运维部 客户服务中心 综合部 工程建设部"),
    "gov": _words("机关第一 机关第二 机关第三 机关第四 综合"),
    "enterprise": _words("机关 生产 营销 技术 后勤 安全质量"),
    "culture": _words("机关 业务 技术 经营"),
}
_DIGITS = "零一二三四五六七八九"


def _cn_ordinal(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (branches are numbered in Chinese)."""
    if not 0 < n < 100:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- allocation ----------------------------------------------------------------


def _apportion(total: int, weights: list[float], minimum: list[int], maximum: list[int]) -> list[int]:
    """Share ``total`` by highest averages (D'Hondt) within per-slot bounds, relaxed if infeasible."""
    if sum(minimum) > total:
        minimum = [0] * len(weights)
    if sum(maximum) < total:
        maximum = [total] * len(weights)
    counts = list(minimum)
    heap = [(-w / (c + 1), i) for i, (w, c) in enumerate(zip(weights, counts, strict=True)) if c < maximum[i]]
    heapq.heapify(heap)
    for _ in range(total - sum(counts)):
        _, i = heapq.heappop(heap)
        counts[i] += 1
        if counts[i] < maximum[i]:
            heapq.heappush(heap, (-weights[i] / (counts[i] + 1), i))
    return counts


def _fit(rng: random.Random, targets: list[float], lo: list[int], hi: list[int], total: int) -> list[int]:
    """Integer sizes near ``targets`` (scaled), within [lo, hi], summing to exactly ``total``."""
    n = len(targets)
    if n == 0:
        return []
    if sum(lo) > total:
        lo = [0] * n
    if sum(hi) < total:
        hi = [total] * n
    scale = total / (sum(targets) or 1.0)
    sizes = [min(max(round(t * scale), lo[i]), hi[i]) for i, t in enumerate(targets)]
    order = list(range(n))
    rng.shuffle(order)
    diff = total - sum(sizes)
    while diff:
        step = 1 if diff > 0 else -1
        for i in order:
            if diff == 0:
                break
            if lo[i] <= sizes[i] + step <= hi[i]:
                sizes[i] += step
                diff -= step
    return sizes


# --- generation ------------------------------------------------------------------


def _mix(**weights: float) -> tuple[float, ...]:
    """Category weights in ``CATEGORIES`` order."""
    return tuple(weights.get(category, 0.0) for category in CATEGORIES)


# What kind of members a branch holds, and the size it is drawn towards.
_ROLES: dict[str, tuple[tuple[float, ...], tuple[int, int]]] = {
    "mixed": (_mix(in_service=0.14, retired=0.45, mobile=0.08, resident=0.33), (14, 40)),
    "retired": (_mix(retired=0.95, resident=0.05), (28, 48)),
    "mobile": (_mix(mobile=1.0), (5, 18)),
    "joint": (_mix(in_service=1.0), (6, 20)),
    "farm": (_mix(retired=0.3, mobile=0.05, resident=0.65), (12, 35)),
    "unit": (_mix(in_service=1.0), (10, 40)),
    "unit_retired": (_mix(retired=1.0), (15, 45)),
}

_EDUCATION_BY_ERA = (
    # (born before, weights in EDUCATIONS order)
    (1955, (20, 35, 25, 10, 6, 4, 0, 0)),
    (1970, (2, 20, 30, 15, 20, 13, 2, 0)),
    (1985, (0, 3, 10, 10, 25, 43, 8, 1)),
    (9999, (0, 0, 2, 5, 15, 56, 19, 3)),
)


HostKind = Literal["urban", "agricultural", "village", "unit"]


@dataclass
class _Host:
    """A node that holds branches: a community, a village or a resident unit."""

    key: str
    name: str
    kind: HostKind
    weight: float
    street: int | None
    sector: str = ""
    branches: int = 0


@dataclass
class _Branch:
    key: str
    role: str
    host: _Host
    lo: int = 3
    hi: int = 50
    target: float = 0.0
    size: int = 0
    work_unit: str | None = None


@dataclass
class _State:
    ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)


class _Generator:
    def __init__(self, spec: DemoSpec) -> None:
        _check(spec)
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.ref = spec.reference_date or dt.date.today()
        self.nodes: list[NodePlan] = []
        self.hosts: list[_Host] = []
        self.state = _State()
        self.street_roads: list[list[str]] = []
        self.urban_by_street: list[list[_Host]] = []

    def run(self) -> DemoPlan:
        self._streets()
        self._units()
        self._allocate_branches()
        branches = self._branch_nodes()
        self._size_branches(branches)
        people = self._people(branches)
        return DemoPlan(reference_date=self.ref, nodes=self.nodes, people=people)

    # nodes

    def _node(
        self, key: str, parent: str | None, kind: str, name: str, code: str | None = None, **attrs: Any
    ) -> None:
        self.nodes.append(
            NodePlan(key, parent, kind, name, code, {k: v for k, v in attrs.items() if v is not None})
        )

    def _address(self, roads: list[str]) -> str:
        return f"{self.spec.address_prefix}{self.rng.choice(roads)}{self.rng.randint(1, 320)}号"

    def _landline(self) -> str:
        return f"{self.spec.area_code}-8{self.rng.choice('45678')}{self.rng.randrange(10**6):06d}"

    def _term_start(self, years: int) -> str:
        # About one committee in thirty is past its term: the demo should show the warning.
        if self.rng.random() < 0.033:
            days = years * 365 + self.rng.randint(15, 240)
        else:
            days = self.rng.randint(30, years * 365 - 30)
        return (self.ref - dt.timedelta(days=days)).isoformat()

    def _streets(self) -> None:
        rng, spec = self.rng, self.spec
        for s, street in enumerate(spec.streets, start=1):
            key = f"s{s:02d}"
            code = street.code or f"{spec.region_code}{s:03d}"
            roads = list(street.roads) or list(_GENERIC_ROADS)
            centre = (119.36 + rng.random() * 0.1, 32.12 + rng.random() * 0.09)
            self.street_roads.append(roads)
            self._node(
                key, None, "street", street.name, code, address=self._address(roads), phone=self._landline()
            )
            used: set[str] = set()
            urban: list[_Host] = []
            groups: tuple[tuple[HostKind, int, list[str], str, int, float], ...] = (
                ("urban", street.urban_communities, street.community_names, "社区", 1, 6.5),
                (
                    "agricultural",
                    street.agricultural_communities,
                    street.agricultural_names,
                    "社区",
                    101,
                    6.0,
                ),
                ("village", street.villages, street.village_names, "村", 201, 5.0),
            )
            for host_kind, count, names, suffix, first_number, weight in groups:
                for j in range(count):
                    name = self._place_name(names, j, suffix, used)
                    node_kind = "village" if host_kind == "village" else "community"
                    letter = "v" if host_kind == "village" else "c"
                    host_key = f"{key}/{letter}{first_number + j:03d}"
                    self._node(
                        host_key,
                        key,
                        node_kind,
                        name,
                        f"{code}{first_number + j:03d}",
                        address=self._address(roads),
                        phone=self._landline(),
                        longitude=round(centre[0] + rng.uniform(-0.015, 0.015), 6),
                        latitude=round(centre[1] + rng.uniform(-0.012, 0.012), 6),
                        term_started_on=self._term_start(5),
                    )
                    host = _Host(host_key, name, host_kind, weight * rng.uniform(0.6, 1.5), s - 1)
                    self.hosts.append(host)
                    if host_kind == "urban":
                        urban.append(host)
            self.urban_by_street.append(urban)

    def _place_name(self, given: list[str], index: int, suffix: str, used: set[str]) -> str:
        if index < len(given) and given[index] not in used:
            used.add(given[index])
            return given[index]
        words = list(_PLACE_WORDS)
        self.rng.shuffle(words)
        for word in words:
            if f"{word}{suffix}" not in used:
                used.add(f"{word}{suffix}")
                return f"{word}{suffix}"
        n = index + 1
        while f"第{n}{suffix}" in used:
            n += 1
        used.add(f"第{n}{suffix}")
        return f"第{n}{suffix}"

    def _units(self) -> None:
        rng, spec = self.rng, self.spec
        municipal = spec.resident_units - spec.central_units - spec.provincial_units
        levels = (
            ("central", spec.central_units, _CENTRAL_UNITS, 4.0),
            ("provincial", spec.provincial_units, _PROVINCIAL_UNITS, 2.2),
            ("municipal", municipal, _MUNICIPAL_UNITS, 0.75),
        )
        street_weights = [len(urban) + 0.5 for urban in self.urban_by_street]
        used: set[str] = set()
        n = 0
        for level, count, pool, weight in levels:
            chosen = rng.sample(pool, min(count, len(pool)))
            for extra in range(count - len(chosen)):
                chosen.append(
                    (f"{{city}}市第{_cn_ordinal(extra % 99 + 1)}驻区单位{extra // 99 or ''}", "gov")
                )
            for template, sector in chosen:
                n += 1
                name = template.format(city=spec.city)
                while name in used:
                    name += "分部"
                used.add(name)
                key = f"u{n:03d}"
                parent: str | None = None
                roads = list(_GENERIC_ROADS)
                street: int | None = None
                if self.street_roads:
                    street = rng.choices(range(len(street_weights)), weights=street_weights)[0]
                    roads = self.street_roads[street]
                    urban = self.urban_by_street[street]
                    parent = f"s{street + 1:02d}"
                    if urban and rng.random() < 0.55:
                        parent = rng.choice(urban).key
                self._node(
                    key,
                    parent,
                    "unit",
                    name,
                    None,
                    level=level,
                    address=self._address(roads),
                    phone=self._landline(),
                )
                self.hosts.append(_Host(key, name, "unit", weight * rng.uniform(0.7, 1.3), street, sector))

    def _allocate_branches(self) -> None:
        weights = [h.weight for h in self.hosts]
        minimum = [0 if h.kind == "unit" else 1 for h in self.hosts]
        maximum = [6 if h.kind == "unit" else 24 for h in self.hosts]
        for host, count in zip(
            self.hosts, _apportion(self.spec.branches, weights, minimum, maximum), strict=True
        ):
            host.branches = count

    def _branch_nodes(self) -> list[_Branch]:
        out: list[_Branch] = []
        for host in self.hosts:
            if host.branches == 0:
                continue
            if host.kind == "unit":
                out.extend(self._unit_branches(host))
            else:
                out.extend(self._place_branches(host))
        return out

    def _branch(
        self, parent: str, key: str, name: str, role: str, host: _Host, *, joint_units: int | None = None
    ) -> _Branch:
        self._node(
            key,
            parent,
            "branch",
            name,
            None,
            term_started_on=self._term_start(3),
            joint_unit_count=joint_units,
        )
        low, high = _ROLES[role][1]
        return _Branch(key, role, host, target=self.rng.uniform(low, high))

    def _place_branches(self, host: _Host) -> list[_Branch]:
        rng, n = self.rng, host.branches
        if n == 1:
            return [self._branch(host.key, f"{host.key}/b01", f"{host.name}党支部", "mixed", host)]
        rural = host.kind != "urban"
        retired = 0 if n < 3 else 1 if n < 7 else 2 if n < 11 else 3
        specials: list[tuple[str, str]] = []
        if rural and n >= 4:
            specials.append(("农业党支部", "farm"))
        if n >= 4 and rng.random() < 0.6:
            specials.append(("企业联合党支部" if rural else "非公企业联合党支部", "joint"))
        if n >= 5 and rng.random() < 0.6:
            specials.append(("流动党员党支部", "mobile"))
        if not rural and n >= 7 and rng.random() < 0.5:
            specials.append(("社会组织联合党支部", "joint"))
        ordinals = n - retired - len(specials)
        out = [
            self._branch(
                host.key, f"{host.key}/b{i:02d}", f"{host.name}第{_cn_ordinal(i)}党支部", "mixed", host
            )
            for i in range(1, ordinals + 1)
        ]
        for i, (suffix, role) in enumerate(specials, start=ordinals + 1):
            joint = rng.randint(2, 5) if role == "joint" else None
            out.append(
                self._branch(
                    host.key, f"{host.key}/b{i:02d}", f"{host.name}{suffix}", role, host, joint_units=joint
                )
            )
        label = "老党员" if rural else "退休党员"
        if retired == 1:
            out.append(
                self._branch(host.key, f"{host.key}/b{n:02d}", f"{host.name}{label}党支部", "retired", host)
            )
        elif retired > 1:
            group = f"{host.key}/g1"
            self._node(
                group,
                host.key,
                "general_branch",
                f"{host.name}{label}党总支",
                None,
                term_started_on=self._term_start(3),
            )
            grouped = [
                self._branch(
                    group, f"{group}/b{i:02d}", f"{host.name}{label}第{_cn_ordinal(i)}党支部", "retired", host
                )
                for i in range(1, retired + 1)
            ]
            # Bounds that keep the general branch within 50–100 members whatever the split.
            for branch in grouped:
                branch.lo, branch.hi = math.ceil(50 / retired), 100 // retired
            out.extend(grouped)
        return out

    def _unit_branches(self, host: _Host) -> list[_Branch]:
        rng, n = self.rng, host.branches
        if n == 1:
            branch = self._branch(host.key, f"{host.key}/b01", f"{host.name}党支部", "unit", host)
            branch.work_unit = host.name
            return [branch]
        parent = host.key
        if n >= 3:
            parent = f"{host.key}/pc"
            self._node(
                parent,
                host.key,
                "party_committee",
                f"{host.name}党委",
                None,
                term_started_on=self._term_start(3),
            )
        pool = _DEPARTMENTS.get(host.sector, _DEPARTMENTS["gov"])
        departments = rng.sample(pool, min(n, len(pool)))
        for i in range(len(departments), n):
            departments.append(f"第{_cn_ordinal(i + 1)}")
        roles = ["unit"] * n
        if n >= 4:
            departments[-1] = "离退休"
            roles[-1] = "unit_retired"
        out = []
        for i, (department, role) in enumerate(zip(departments, roles, strict=True), start=1):
            branch = self._branch(parent, f"{parent}/b{i:02d}", f"{host.name}{department}党支部", role, host)
            branch.work_unit = host.name
            if n >= 3:
                # A unit party committee is for 100 or more members.
                branch.lo = math.ceil(100 / n)
            out.append(branch)
        return out

    def _size_branches(self, branches: list[_Branch]) -> None:
        rng = self.rng
        if len(branches) >= 20:
            free = [b for b in branches if (b.lo, b.hi) == (3, 50)]
            outliers = rng.sample(free, min(len(free), 2 * max(1, len(branches) // 200)))
            half = len(outliers) // 2
            for b in outliers[:half]:
                b.lo, b.hi, b.target = 1, 2, 2.0
            for b in outliers[half:]:
                b.lo, b.hi, b.target = 51, 58, 54.0
        sizes = _fit(
            rng,
            [b.target for b in branches],
            [b.lo for b in branches],
            [b.hi for b in branches],
            self.spec.members,
        )
        for branch, size in zip(branches, sizes, strict=True):
            branch.size = size

    # people

    def _people(self, branches: list[_Branch]) -> list[PersonPlan]:
        rng, spec = self.rng, self.spec
        firms = [f"{spec.city}{rng.choice(_FIRM_WORDS)}{trade}有限公司" for trade in _FIRM_TRADES]
        firms += [f"{spec.city}{word}{rng.choice(_FIRM_TRADES)}有限公司" for word in _FIRM_WORDS]
        employers = firms + [node.name for node in self.nodes if node.kind == "unit"]
        all_roads = [road for roads in self.street_roads for road in roads] or list(_GENERIC_ROADS)
        people: list[PersonPlan] = []
        for branch in branches:
            category_weights = _ROLES[branch.role][0]
            probationary_budget = max(0, branch.size - 3)
            for _ in range(branch.size):
                category = rng.choices(CATEGORIES, weights=category_weights)[0]
                person = self._person(branch, category, employers, firms, all_roads, probationary_budget > 0)
                if person.party_status == "probationary":
                    probationary_budget -= 1
                people.append(person)
        return people

    def _person(
        self,
        branch: _Branch,
        category: str,
        employers: list[str],
        firms: list[str],
        all_roads: list[str],
        may_be_probationary: bool,
    ) -> PersonPlan:
        rng, ref = self.rng, self.ref
        if category == "retired":
            age, join_age, male = rng.triangular(58, 93, 70), rng.triangular(18, 55, 30), 0.5
        elif category == "in_service":
            age, join_age, male = rng.triangular(23, 60, 38), rng.triangular(18, 45, 24), 0.6
        elif category == "mobile":
            age, join_age, male = rng.triangular(22, 52, 33), rng.triangular(18, 40, 23), 0.68
        else:
            age, join_age, male = rng.triangular(24, 85, 55), rng.triangular(18, 60, 30), 0.6
        gender: Literal["male", "female"] = "male" if rng.random() < male else "female"
        birth = ref - dt.timedelta(days=int(age * 365.2425) + rng.randrange(365))
        adult = _add_years(birth, 18)
        probationary = may_be_probationary and category != "retired" and age < 45 and rng.random() < 0.045
        if probationary:
            joined = ref - dt.timedelta(days=rng.randint(1, 364))
        else:
            latest = ref - dt.timedelta(days=366)
            joined = birth + dt.timedelta(days=int(join_age * 365.2425) + rng.randrange(365))
            if not adult <= joined <= latest:
                joined = adult + dt.timedelta(days=rng.randrange(max(1, (latest - adult).days)))
        return PersonPlan(
            name=self._name(gender, birth.year),
            gender=gender,
            ethnicity=rng.choices(_ETHNICITIES, cum_weights=_ETHNICITY_CUM)[0],
            birth_date=birth,
            id_card=self._id_card(birth, gender),
            phone=self._phone(),
            education=self._education(birth.year, branch.role),
            party_status="probationary" if probationary else "full",
            joined_on=joined,
            full_member_on=None if probationary else _add_years(joined, 1),
            category=category,
            work_unit=self._work_unit(branch, category, employers, firms),
            address=self._home(branch.host, all_roads),
            node_key=branch.key,
        )

    def _name(self, gender: str, born: int) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
        if born < 1962 and rng.random() < 0.5:
            return surname + rng.choice(_CLASSIC_MALE if gender == "male" else _CLASSIC_FEMALE)
        chars = _MALE_CHARS if gender == "male" else _FEMALE_CHARS
        first = rng.choice(chars)
        if rng.random() < 0.25:
            return surname + first
        second = rng.choice(chars)
        while second == first:
            second = rng.choice(chars)
        return surname + first + second

    def _id_card(self, birth: dt.date, gender: str) -> str:
        rng = self.rng
        for _ in range(50):
            number = make_id_card(
                self.spec.region_code, birth, rng.randrange(100), gender, variant=rng.randrange(5)
            )
            if number not in self.state.ids:
                self.state.ids.add(number)
                return number
        for sequence in range(100):
            for variant in range(5):
                number = make_id_card(self.spec.region_code, birth, sequence, gender, variant=variant)
                if number not in self.state.ids:
                    self.state.ids.add(number)
                    return number
        raise ValueError(f"more than 500 people of one gender born on {birth}")

    def _phone(self) -> str:
        rng = self.rng
        while True:
            phone = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
            if phone not in self.state.phones:
                self.state.phones.add(phone)
                return phone

    def _education(self, born: int, role: str) -> str:
        weights = next(w for before, w in _EDUCATION_BY_ERA if born < before)
        if role == "farm":
            # Rural members: one step further down the ladder.
            weights = (weights[0] + weights[1], *weights[2:], 0)
        return self.rng.choices(EDUCATIONS, weights=weights)[0]

    def _work_unit(
        self, branch: _Branch, category: str, employers: list[str], firms: list[str]
    ) -> str | None:
        rng = self.rng
        if branch.work_unit:
            return branch.work_unit
        if category == "in_service":
            return rng.choice(firms if branch.role == "joint" else employers)
        if category == "mobile":
            return f"{rng.choice(_OTHER_CITIES)}{rng.choice(_FIRM_WORDS)}{rng.choice(_FIRM_TRADES)}有限公司"
        return None

    def _home(self, host: _Host, all_roads: list[str]) -> str:
        rng, prefix = self.rng, self.spec.address_prefix
        if host.kind in ("village", "agricultural") and host.street is not None:
            street = self.spec.streets[host.street].name
            return f"{prefix}{street}{host.name}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
        roads = (
            self.street_roads[host.street] if host.kind != "unit" and host.street is not None else all_roads
        )
        number = f"{rng.choice(roads)}{rng.randint(1, 320)}号"
        if rng.random() < 0.7:
            number += f"{rng.randint(1, 24)}幢{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        return prefix + number


def _check(spec: DemoSpec) -> None:
    if spec.central_units + spec.provincial_units > spec.resident_units:
        raise ValueError("central_units + provincial_units exceed resident_units")
    hosts = spec.resident_units + sum(
        s.urban_communities + s.agricultural_communities + s.villages for s in spec.streets
    )
    if spec.branches and not hosts:
        raise ValueError("branches need at least one community, village or resident unit to sit under")
    if spec.members and not spec.branches:
        raise ValueError("members need at least one branch")
    names = [s.name for s in spec.streets]
    if len(set(names)) != len(names):
        raise ValueError("street names must be unique")
    codes = [s.code or f"{spec.region_code}{i:03d}" for i, s in enumerate(spec.streets, start=1)]
    if len(set(codes)) != len(codes):
        raise ValueError("street codes must be unique")
    for kind_key in ("street", "community", "village", "unit", "general_branch", "branch", "party_committee"):
        kinds.get_kind(kind_key)
