"""A minimal plugin: a greeting per district, shown for an organisation in the caller's scope."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.api import (
    DB,
    Base,
    CurrentPrincipal,
    Figure,
    Manifest,
    MigrationLocation,
    Output,
    PluginPermission,
    TenantScoped,
    Timestamped,
    hookimpl,
    node_in_scope,
    tenant_fk,
)
from core.plugins.state import config_of


class HelloConfig(msgspec.Struct, forbid_unknown_fields=True):
    greeting: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] = "你好"
    repeat: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1


class HelloNote(TenantScoped, Timestamped, Base):
    """A note left for an organisation (exists to give the plugin a migrated, tenant-scoped table)."""

    __tablename__ = "hello_note"

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    text: Mapped[str] = mapped_column(String(200))


class GreetingOut(Output):
    node_id: uuid.UUID
    text: str


class HelloController(Controller):
    path = "/"

    @get("/nodes/{node_id:uuid}/greeting", opt={"permission": "org.read"})
    async def greeting(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        node_id: FromPath[uuid.UUID],
    ) -> GreetingOut:
        from sqlalchemy import select

        from core.plugins.models import TenantPlugin

        node = await node_in_scope(db, principal, node_id, "org.read")
        manifest = request.app.state.plugin_host.manifest("hello")
        row = (
            await db.scalars(
                select(TenantPlugin).where(
                    TenantPlugin.tenant_id == principal.tenant_id, TenantPlugin.slug == "hello"
                )
            )
        ).first()
        config = config_of(manifest, row)
        return GreetingOut(node_id=node.id, text=f"{config.greeting * config.repeat}，{node.name}")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug="hello",
        name_zh="问候",
        name_en="Hello",
        version="1.2.0",
        pillar="other",
        config=HelloConfig,
        permissions=(
            PluginPermission(
                key="hello.greet",
                description_zh="查看问候",
                description_en="Read greetings",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
        ),
    )


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(
        "hello", Path(__file__).resolve().parent / "hello_migrations", frozenset({"hello_note"})
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return [HelloController]


async def leave_note(ctx: Any) -> None:
    """Job: leave a note on the organisation named in the payload (in the job's own transaction)."""
    ctx.session.add(HelloNote(org_node_id=uuid.UUID(ctx.payload["org_node_id"]), text=ctx.payload["text"]))


async def welcome_new_organisation(ctx: Any) -> None:
    """Event handler: greet every organisation created in the district."""
    ctx.session.add(HelloNote(org_node_id=uuid.UUID(ctx.payload["org_node_id"]), text="欢迎"))


@hookimpl
def quanyu_event_handlers() -> dict[str, Any]:
    return {"org.created": welcome_new_organisation, "joint_committees.decision_escalated": note_escalation}


async def note_escalation(ctx: Any) -> None:
    """Event handler: another plugin's event, heard without importing it."""
    text = f"督办 第{ctx.payload['level']}级"
    ctx.session.add(HelloNote(org_node_id=uuid.UUID(ctx.payload["org_node_id"]), text=text))


async def morning_greeting(ctx: Any) -> None:
    """Scheduled job: greet the district's root organisation every morning."""
    from sqlalchemy import select

    from core.api import OrgNode

    root = (await ctx.session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None)))).one()
    ctx.session.add(HelloNote(org_node_id=root.id, text=f"早安 {ctx.payload['tick']}"))


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return {"leave_note": leave_note, "morning_greeting": morning_greeting}


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return [("morning_greeting", "0 8 * * *"), ("no_such_job", "0 9 * * *"), ("leave_note", "not a cron")]


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: Any, session: Any) -> list[Figure]:
    from sqlalchemy import func, select

    from core.api import OrgNode, in_subtree

    notes = await session.scalar(
        select(func.count())
        .select_from(HelloNote)
        .join(OrgNode, (OrgNode.tenant_id == HelloNote.tenant_id) & (OrgNode.id == HelloNote.org_node_id))
        .where(in_subtree(OrgNode.path, node.path))
    )
    return [Figure(key="notes", name_zh="留言", name_en="Notes", value=int(notes or 0), unit_zh="条")]


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    from core.api import IsolationExample as Example

    async def greeting(world: Any) -> Any:
        await world.ensure_plugin("hello", enabled=True)
        return Example(f"/api/v1/m/hello/nodes/{world.b1}/greeting", owner_sees=(str(world.b1),))

    return {("GET", "/api/v1/m/hello/nodes/{node_id:uuid}/greeting"): greeting}


# A visitor book kept outside the database (standing in for files or external state), per district.
VISITOR_BOOK: dict[Any, list[dict[str, Any]]] = {}


@hookimpl
async def quanyu_tenant_export(tenant_id: Any, session: Any) -> dict[str, list[dict[str, Any]]]:
    return {"visitor_book": list(VISITOR_BOOK.get(tenant_id, []))}


@hookimpl
async def quanyu_tenant_import(tenant_id: Any, session: Any, tables: Any) -> None:
    VISITOR_BOOK[tenant_id] = list(tables.get("visitor_book", []))


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: Any, session: Any) -> list[Any]:
    """The greeted organisation as a place, and one malformed place the core must leave out."""
    from core.api import MapFeature

    return [
        MapFeature(
            key=str(node.id),
            name=node.name,
            kind="greeting_point",
            longitude=119.45,
            latitude=32.2,
            org_node_id=node.id,
            properties={"greeting": "你好"},
        ),
        {"key": "nowhere", "name": "无效", "kind": "greeting_point", "longitude": 500, "latitude": 0},
    ]


@hookimpl
def quanyu_attachment_owners() -> list[Any]:
    """A note takes files: whoever reads the organisation reads them, whoever may change it attaches."""
    from core.api import AttachmentOwner

    return [AttachmentOwner("hello.note", HelloNote, "org.read", "org.write")]


class HelloPublic(Controller):
    path = "/"

    @get("/greeting", opt={"exclude_from_auth": True})
    async def greeting(self, request: Request[Any, Any, Any], db: DB) -> Any:
        from core.api import public_page

        return await public_page(request, db, "hello/public.html", greeting="欢迎来访")


@hookimpl
def quanyu_public_pages() -> Any:
    from core.api import ConsoleNav, ConsolePages

    return ConsolePages(
        handlers=[HelloPublic],
        nav=[ConsoleNav("/greeting", "问候", "Greeting")],
        templates=Path(__file__).resolve().parent / "hello_templates",
    )
