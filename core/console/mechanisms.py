"""The eighteen mechanisms of the Runzhou model (六统十八联), laid out as the console's grid.

The grid shows every mechanism, installed or not, so a district sees the whole
model and what it has adopted; the installed plugin's manifest supplies its
status and version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mechanism:
    number: int
    slug: str
    name_zh: str
    name_en: str
    pillar: str


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(1, "joint_committees", "三级责任联动", "Three-level responsibility linkage", "political"),
    Mechanism(2, "sector_guidance", "条块横向联手", "Sector–area collaboration", "political"),
    Mechanism(3, "co_building", "组织共建联席", "Co-building agreements", "organisation"),
    Mechanism(4, "model_zones", "示范片区联建", "Demonstration zones", "organisation"),
    Mechanism(5, "spark_incubation", "星火计划联育", "Spark plan", "organisation"),
    Mechanism(6, "action_branches", "行动支部联组", "Action branches", "organisation"),
    Mechanism(7, "venue_standards", "阵地标准联推", "Venue standards", "venue"),
    Mechanism(8, "micro_homes", "党建微家联心", "Micro-homes", "venue"),
    Mechanism(9, "online_matrix", "网络平台联通", "Online matrix and red map", "venue"),
    Mechanism(10, "secretary_training", "书记队伍联培", "Secretary training", "team"),
    Mechanism(11, "community_workers", "工作队伍联抓", "Community workers", "team"),
    Mechanism(12, "member_management", "党员队伍联管", "Categorised member management", "team"),
    Mechanism(13, "resource_sharing", "区域载体联享", "Shared resources", "resource"),
    Mechanism(14, "care_fund", "关爱基金联筹", "Care fund", "resource"),
    Mechanism(15, "people_projects", "为民项目联认", "Projects for the people", "resource"),
    Mechanism(16, "grid_governance", "红色网格联治", "Red grids", "governance"),
    Mechanism(17, "consultation", "党群事务联商", "Consultation", "governance"),
    Mechanism(18, "six_services", "六项服务联办", "Six services", "governance"),
)
PILLAR_ORDER = ("political", "organisation", "venue", "team", "resource", "governance")
