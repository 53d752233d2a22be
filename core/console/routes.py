"""The console's pages under ``/t/<tenant>/console``: login, dashboard, organisations, inbox, mechanisms.

Pages use the same services as the JSON API; only the shape differs. The
session cookie of ``/api/v1/auth/login`` is the console's session too. A
page of another district than the session's answers 404, as the API does;
without a session the browser is sent to the login page and back.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import quote, urlparse

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select

from core.attachments.routes import UPLOAD_LIMIT
from core.auth import service as auth_service
from core.auth import totp
from core.auth.routes import session_cookie
from core.auth.scope import Principal, node_in_scope
from core.console.mechanisms import MECHANISMS, PILLAR_ORDER
from core.context import current_context
from core.dashboard.figures import Figure
from core.dashboard.routes import core_figures, figure_out
from core.errors import ProblemError, not_found
from core.i18n import current_locale
from core.notifications import service as notifications
from core.orgs import services as org_services
from core.orgs.models import OrgNode
from core.plugins import state as plugin_state
from core.plugins.host import PluginHost
from core.plugins.manifest import PILLARS
from core.tenancy.models import Tenant
from core.tenancy.service import root_node
from core.tenancy.settings import parse_tenant_settings
from core.web.deps import DB
from core.web.middleware import session_store
from core.web.schemas import PageParams

CONSOLE = "/t/{tenant:str}/console"
LANG_COOKIE = "quanyu_lang"


def console_path(slug: str, rest: str = "") -> str:
    return f"/t/{slug}/console{rest}"


def field_errors(exc: ProblemError, fallback: str) -> dict[str, str]:
    """A refusal as messages per form field (``roles[0]`` and ``a.b`` file under ``roles`` and ``a``);
    a refusal naming no field is shown beside ``fallback``."""
    body = exc.to_problem(current_locale())
    errors = {re.split(r"[.\[]", e["field"])[0]: e["message"] for e in body.get("errors", [])}
    return errors or {fallback: body["detail"]}


def first_message(exc: ProblemError) -> str:
    """The one line a form shows for a refusal: its first field problem, else its detail."""
    return next(iter(field_errors(exc, "_").values()))


async def district(db: Any, slug: str) -> Tenant:
    found: Tenant | None = (await db.scalars(select(Tenant).where(Tenant.slug == slug.lower()))).first()
    if found is None:
        raise not_found()
    return found


def principal_of(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


async def signed_in(request: Request[Any, Any, Any], db: Any, slug: str) -> tuple[Tenant, Principal]:
    """The district of the URL and the caller, who must be logged in to that district (404 otherwise)."""
    principal = principal_of(request)
    tenant = await district(db, slug)
    if principal is None or principal.tenant_id != tenant.id:
        raise not_found()
    return tenant, principal


async def navigation(
    request: Request[Any, Any, Any], db: Any, tenant: Tenant, principal: Principal
) -> list[dict[str, Any]]:
    """The menu: the core's pages the caller may use, then each enabled mechanism's pages."""
    slug = tenant.slug
    zh = current_locale() == "zh_CN"
    items = [{"href": console_path(slug), "label": "工作台" if zh else "Dashboard", "key": "dashboard"}]
    if principal.has("org.read"):
        items.append(
            {"href": console_path(slug, "/org"), "label": "组织" if zh else "Organisations", "key": "org"}
        )
    if principal.has("person.read"):
        items.append(
            {"href": console_path(slug, "/people"), "label": "党员" if zh else "People", "key": "people"}
        )
    items.append({"href": console_path(slug, "/inbox"), "label": "消息" if zh else "Inbox", "key": "inbox"})
    if principal.has("user.read") or principal.has("role.read"):
        items.append(
            {"href": console_path(slug, "/users"), "label": "账号" if zh else "Accounts", "key": "users"}
        )
    if principal.has("audit.read"):
        items.append(
            {"href": console_path(slug, "/audit"), "label": "审计" if zh else "Audit log", "key": "audit"}
        )
    if principal.has("tenant.configure"):
        items.append(
            {
                "href": console_path(slug, "/mechanisms"),
                "label": "机制" if zh else "Mechanisms",
                "key": "mechanisms",
            }
        )
    host: PluginHost = request.app.state.plugin_host
    enabled = await request.app.state.plugin_cache.enabled(db, principal.tenant_id)
    for plugin_slug, pages in await host.call("quanyu_console_pages", enabled=sorted(enabled)):
        for entry in getattr(pages, "nav", []):
            if entry.permission and not principal.has(entry.permission):
                continue
            items.append(
                {
                    "href": console_path(slug, f"/m/{plugin_slug}{entry.path}"),
                    "label": entry.label_zh if zh else entry.label_en,
                    "key": f"m.{plugin_slug}",
                }
            )
    return items


async def page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    template: str,
    active: str,
    nav: list[dict[str, Any]] | None = None,
    **context: Any,
) -> Template:
    unread = await notifications.unread_count(db, principal.user_id)
    node_ids = {grant.node_id for grant in principal.grants}
    scope_names = sorted(
        {n.name for n in await db.scalars(select(OrgNode).where(OrgNode.id.in_(node_ids)))}
        if node_ids
        else set()
    )
    return Template(
        template_name=template,
        context={
            "tenant": tenant,
            "principal": principal,
            "nav": nav if nav is not None else await navigation(request, db, tenant, principal),
            "active": active,
            "unread": unread,
            "scope_names": scope_names,
            "locale": current_locale(),
            "here": request.url.path,
            "console": console_path(tenant.slug),
            **context,
        },
    )


def safe_next(slug: str, candidate: str | None) -> str:
    """Only a path inside this district's console may be the page after login (no open redirect)."""
    home = console_path(slug)
    if not candidate:
        return home
    parsed = urlparse(candidate)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith(home):
        return home
    return candidate


# Pages of the caller's own account: reachable before a required password change or enrolment.
OWN_ACCOUNT = {"allowed_before_password_change": True, "allowed_before_second_factor": True}


def second_step_form(tenant: Tenant, challenge: str, target: str, error: str | None) -> Template:
    """The login's second step: a form asking for the authenticator's code (or a recovery code)."""
    return Template(
        template_name="console/login_totp.html",
        context={
            "tenant": tenant,
            "challenge": challenge,
            "error": error,
            "next": target,
            "locale": current_locale(),
            "console": console_path(tenant.slug),
        },
    )


async def totp_template(
    db: Any,
    tenant: Tenant,
    principal: Principal,
    *,
    secret: str | None = None,
    uri: str | None = None,
    recovery_codes: list[str] | None = None,
    error: str | None = None,
    pending: bool = False,
) -> Template:
    """Enrolment in two-step verification; the secret and recovery codes appear only in the answer that
    made them."""
    from core.auth.models import User

    user = await db.get_one(User, (principal.tenant_id, principal.user_id))
    if pending and user.totp_secret_encrypted and user.totp_enabled_at is None:
        # Asking again after a wrong code: show the same secret, not a new one.
        from core import crypto

        secret = crypto.decrypt(principal.tenant_id, user.totp_secret_encrypted)
    return Template(
        template_name="console/totp.html",
        context={
            "tenant": tenant,
            "enabled": user.totp_enabled_at is not None,
            "required": principal.second_factor_enrolment_required,
            "secret": secret,
            "uri": uri,
            "recovery_codes": recovery_codes,
            "error": error,
            "locale": current_locale(),
            "console": console_path(tenant.slug),
        },
    )


def password_template(
    tenant: Tenant, principal: Principal, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    """Changing one's own password; the only page (with logout and enrolment) of a session whose password
    must change first."""
    return Template(
        template_name="console/password.html",
        context={
            "tenant": tenant,
            "required": principal.must_change_password,
            "errors": errors or {},
            "locale": current_locale(),
            "console": console_path(tenant.slug),
        },
        status_code=status_code,
    )


class LoginForm:
    def __init__(self, username: str = "", password: str = "", next: str = "") -> None:
        self.username = username
        self.password = password
        self.next = next


class ConsoleController(Controller):
    path = CONSOLE
    include_in_schema = False

    @get("/login", opt={"exclude_from_auth": True}, name="console.login")
    async def login_page(
        self,
        db: DB,
        tenant: FromPath[str],
        next: FromQuery[str | None] = None,
    ) -> Template:
        found = await district(db, tenant)
        return Template(
            template_name="console/login.html",
            context={
                "tenant": found,
                "username": "",
                "error": None,
                "next": safe_next(found.slug, next),
                "locale": current_locale(),
                "console": console_path(found.slug),
                "here": console_path(found.slug, "/login"),
            },
        )

    @post("/login", opt={"exclude_from_auth": True}, status_code=200, media_type="text/html")
    async def login(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        found = await district(db, tenant)
        username = (data.get("username") or "").strip()
        target = safe_next(found.slug, data.get("next"))
        try:
            result = await auth_service.login(
                db,
                session_store(request.app.state, db),
                district=found.slug,
                username=username,
                password=data.get("password") or "",
                address=current_context().address,
                user_agent=request.headers.get("user-agent"),
            )
        except ProblemError as exc:
            # The form comes back with what was typed (never the password) and the reason.
            problem = exc.to_problem(current_locale())
            return Template(
                template_name="console/login.html",
                context={
                    "tenant": found,
                    "username": username,
                    "error": problem["detail"],
                    "next": target,
                    "locale": current_locale(),
                    "console": console_path(found.slug),
                    "here": console_path(found.slug, "/login"),
                },
                status_code=exc.status if exc.status != 401 else 200,
            )
        if isinstance(result, auth_service.SecondFactorChallenge):
            return second_step_form(found, result.challenge, target, None)
        hours = parse_tenant_settings(found.settings).security.session_absolute_hours
        return Redirect(path=target, status_code=303, cookies=[session_cookie(result[0], hours * 3600)])

    @post("/login/totp", opt={"exclude_from_auth": True}, status_code=200, media_type="text/html")
    async def login_totp(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        found = await district(db, tenant)
        target = safe_next(found.slug, data.get("next"))
        challenge = (data.get("challenge") or "")[:200]
        try:
            token, _principal = await auth_service.login_second_step(
                db,
                session_store(request.app.state, db),
                challenge=challenge,
                code=(data.get("code") or "").strip()[:12] or None,
                recovery_code=(data.get("recovery_code") or "").strip()[:40] or None,
                address=current_context().address,
                user_agent=request.headers.get("user-agent"),
            )
        except ProblemError as exc:
            return second_step_form(found, challenge, target, first_message(exc))
        hours = parse_tenant_settings(found.settings).security.session_absolute_hours
        return Redirect(path=target, status_code=303, cookies=[session_cookie(token, hours * 3600)])

    @get("/totp", opt=OWN_ACCOUNT, name="console.totp")
    async def totp_page(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await totp_template(db, found, principal)

    @post("/totp/setup", opt=OWN_ACCOUNT, status_code=200)
    async def totp_setup(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        found, principal = await signed_in(request, db, tenant)
        try:
            secret, uri = await totp.begin_enrolment(db, principal)
        except ProblemError as exc:
            return await totp_template(db, found, principal, error=first_message(exc))
        return await totp_template(db, found, principal, secret=secret, uri=uri)

    @post("/totp/confirm", opt=OWN_ACCOUNT, status_code=200)
    async def totp_confirm(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        try:
            codes = await totp.confirm_enrolment(
                db, session_store(request.app.state, db), principal, (data.get("code") or "")[:12]
            )
        except ProblemError as exc:
            # The pending secret stays: the form asks again for a code of the same authenticator entry.
            return await totp_template(db, found, principal, error=first_message(exc), pending=True)
        return await totp_template(db, found, principal, recovery_codes=codes)

    @get("/password", opt=OWN_ACCOUNT, name="console.password")
    async def password_page(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return password_template(found, principal)

    @post("/password", opt=OWN_ACCOUNT, status_code=200, media_type="text/html")
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        found, principal = await signed_in(request, db, tenant)
        try:
            await auth_service.change_own_password(
                db,
                session_store(request.app.state, db),
                principal,
                data.get("current_password") or "",
                data.get("new_password") or "",
            )
        except ProblemError as exc:
            return password_template(
                found, principal, errors=field_errors(exc, "new_password"), status_code=exc.status
            )
        return Redirect(path=console_path(found.slug), status_code=303)

    @post("/logout", status_code=303, opt=OWN_ACCOUNT)
    async def logout(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Redirect:
        found, principal = await signed_in(request, db, tenant)
        await auth_service.logout(db, session_store(request.app.state, db), principal)
        return Redirect(
            path=console_path(found.slug, "/login"), status_code=303, cookies=[session_cookie("", 0)]
        )

    @get("/lang", opt={"exclude_from_auth": True}, status_code=303)
    async def language(
        self,
        db: DB,
        tenant: FromPath[str],
        to: Annotated[str, QueryParameter(pattern="^(zh_CN|en)$")],
        next: FromQuery[str | None] = None,
    ) -> Redirect:
        found = await district(db, tenant)
        from litestar.datastructures import Cookie

        cookie = Cookie(
            key=LANG_COOKIE, value=to, httponly=True, samesite="lax", path="/", max_age=365 * 86400
        )
        return Redirect(path=safe_next(found.slug, next), status_code=303, cookies=[cookie])

    @get("/", name="console.dashboard")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        node: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        roots = await org_services.scope_roots(db, principal)
        root = (
            await node_in_scope(db, principal, node, "org.read")
            if node is not None
            else (roots[0] if roots else None)
        )
        if root is None:
            return await page(
                request, db, found, principal, "console/dashboard.html", "dashboard", root=None, groups=[]
            )
        host: PluginHost = request.app.state.plugin_host
        enabled = await request.app.state.plugin_cache.enabled(db, principal.tenant_id)
        groups: list[dict[str, Any]] = [
            {
                "plugin": "core",
                "name": None,
                "figures": [figure_out("core", f) for f in await core_figures(db, root)],
            }
        ]
        names = {m.slug: m for m in MECHANISMS}
        links: dict[str, str] = {}
        nav = await navigation(request, db, found, principal)
        for item in nav:
            if item["key"].startswith("m."):
                links.setdefault(item["key"][2:], item["href"])
        for slug, contributed in await host.call(
            "quanyu_dashboard_figures", enabled=enabled, tenant_id=principal.tenant_id, node=root, session=db
        ):
            figures = [figure_out(slug, f) for f in contributed if isinstance(f, Figure)]
            manifest = host.manifest(slug)
            label = (
                (manifest.name_zh if current_locale() == "zh_CN" else manifest.name_en) if manifest else slug
            )
            groups.append(
                {
                    "plugin": slug,
                    "name": label,
                    "number": names[slug].number if slug in names else None,
                    "figures": figures,
                    "href": links.get(slug),
                    # Rates are charted side by side; counts stay as cards.
                    "rates": [{"name": f.name, "value": f.value} for f in figures if f.unit == "%"],
                }
            )
        return await page(
            request,
            db,
            found,
            principal,
            "console/dashboard.html",
            "dashboard",
            nav=nav,
            root=root,
            roots=roots,
            groups=groups,
        )

    @get("/org")
    async def organisations(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        node: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await org_page(request, db, found, principal, node)

    @post("/org/nodes", status_code=200, media_type="text/html")
    async def create_organisation(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        """Create an organisation under the page's node; errors beside their fields, what was typed kept."""
        from core.orgs.schemas import NodeCreate

        found, principal = await signed_in(request, db, tenant)
        typed = {k: (data.get(k) or "").strip() for k in ("parent_id", "kind", "name", "code")}
        try:
            parent_id = uuid.UUID(typed["parent_id"])
        except ValueError:
            raise not_found() from None
        try:
            async with db.begin_nested():
                created = await org_services.create_node(
                    db,
                    principal,
                    NodeCreate(
                        parent_id=parent_id,
                        kind=typed["kind"],
                        name=typed["name"],
                        code=typed["code"] or None,
                    ),
                )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await org_page(
                request, db, found, principal, parent_id, errors=field_errors(exc, "name"), typed=typed
            )
        await db.commit()
        return Redirect(
            path=console_path(found.slug, f"/org?node={parent_id}&created={created.id}"), status_code=303
        )


async def org_page(
    request: Request[Any, Any, Any],
    db: Any,
    found: Tenant,
    principal: Principal,
    node: uuid.UUID | None,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    from core.orgs import kinds as org_kinds

    if not principal.has("org.read"):
        raise not_found()
    roots = await org_services.scope_roots(db, principal)
    current = (
        await node_in_scope(db, principal, node, "org.read")
        if node is not None
        else (roots[0] if roots else None)
    )
    children: list[Any] = []
    trail: list[Any] = []
    child_kinds: list[Any] = []
    warnings: list[Any] = []
    move_targets: list[Any] = []
    found_nodes: list[Any] = []
    if current is not None:
        children = list(
            await db.scalars(
                select(OrgNode)
                .where(OrgNode.parent_id == current.id, OrgNode.archived_at.is_(None))
                .order_by(OrgNode.name)
            )
        )
        trail = [n for n in await org_services.ancestors(db, current) if principal.can_at("org.read", n.path)]
        warnings = await org_services.warnings_for(db, current)
        if principal.can_at("org.write", current.path):
            child_kinds = [k for k in org_kinds.all_kinds() if current.kind in k.parents]
            if current.parent_id is not None:
                from core.auth.scope import scoped_select

                kind = org_kinds.get_kind(current.kind)
                parents = await db.scalars(
                    scoped_select(OrgNode, principal, "org.write")
                    .where(
                        OrgNode.kind.in_(sorted(kind.parents)),
                        OrgNode.archived_at.is_(None),
                        OrgNode.id != current.parent_id,
                    )
                    .order_by(OrgNode.depth, OrgNode.name)
                    .limit(500)
                )
                move_targets = [p for p in parents if not p.path.startswith(current.path)]
    query = (request.query_params.get("q") or "").strip()[:50]
    if query:
        from core.auth.scope import scoped_select

        found_nodes = list(
            await db.scalars(
                scoped_select(OrgNode, principal, "org.read")
                .where(OrgNode.name.contains(query, autoescape=True), OrgNode.archived_at.is_(None))
                .order_by(OrgNode.depth, OrgNode.name)
                .limit(50)
            )
        )
    return await page(
        request,
        db,
        found,
        principal,
        "console/org.html",
        "org",
        current=current,
        children=children,
        trail=trail,
        kind_name=org_services.kind_name,
        child_kinds=child_kinds,
        warnings=warnings,
        move_targets=move_targets,
        query=query,
        found_nodes=found_nodes,
        errors=errors or {},
        typed=typed or {},
        created=request.query_params.get("created"),
    )


class InboxAndMechanismPages(Controller):
    path = CONSOLE
    include_in_schema = False

    @get("/inbox")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        rows, total = await notifications.list_for_user(
            db, principal.user_id, PageParams(limit=50, offset=offset)
        )
        return await page(
            request,
            db,
            found,
            principal,
            "console/inbox.html",
            "inbox",
            items=rows,
            total=total,
            offset=offset,
        )

    @post("/inbox/read-all", status_code=303)
    async def read_all(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Redirect:
        found, principal = await signed_in(request, db, tenant)
        await notifications.mark_all_read(db, principal.user_id)
        return Redirect(path=console_path(found.slug, "/inbox"), status_code=303)

    @get("/mechanisms")
    async def mechanisms(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await mechanisms_page(request, db, found, principal)

    @post("/mechanisms/{slug:str}/{action:str}", status_code=200, media_type="text/html")
    async def switch(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        slug: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        """Enable or disable, then back to the grid (post/redirect/get: a reload does not switch again)."""
        found, principal = await signed_in(request, db, tenant)
        await require_configure(db, principal)
        if action not in ("enable", "disable"):
            raise not_found()
        host: PluginHost = request.app.state.plugin_host
        change = plugin_state.enable if action == "enable" else plugin_state.disable
        try:
            # A refusal (requirements, a plugin's veto) undoes whatever the change had written.
            async with db.begin_nested():
                await change(db, host, principal.tenant_id, slug)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            message = exc.to_problem(current_locale())["detail"]
            return await mechanisms_page(request, db, found, principal, message=message)
        await db.commit()
        await request.app.state.plugin_cache.invalidate(principal.tenant_id)
        return Redirect(path=console_path(found.slug, f"/mechanisms?changed={slug}"), status_code=303)


async def require_configure(db: Any, principal: Principal) -> None:
    root = await root_node(db, principal.tenant_id)
    if not principal.can_at("tenant.configure", root.path):
        raise not_found()


async def mechanisms_page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    *,
    message: str | None = None,
) -> Template:
    await require_configure(db, principal)
    host: PluginHost = request.app.state.plugin_host
    statuses = {s.slug: s for s in await plugin_state.statuses(db, host, principal.tenant_id)}
    zh = current_locale() == "zh_CN"
    pillars = []
    for pillar in PILLAR_ORDER:
        cells = []
        for mechanism in (m for m in MECHANISMS if m.pillar == pillar):
            manifest = host.manifest(mechanism.slug)
            status = statuses.get(mechanism.slug)
            cells.append(
                {
                    "number": mechanism.number,
                    "slug": mechanism.slug,
                    "name": mechanism.name_zh if zh else mechanism.name_en,
                    "installed": manifest is not None,
                    "version": manifest.version if manifest else None,
                    "enabled": bool(status and status.enabled),
                }
            )
        pillars.append({"key": pillar, "name": PILLARS[pillar][0 if zh else 1], "cells": cells})
    others = [
        {
            "slug": m.slug,
            "name": m.name_zh if zh else m.name_en,
            "version": m.version,
            "enabled": bool(statuses.get(m.slug) and statuses[m.slug].enabled),
        }
        for m in host.manifests()
        if m.slug not in {x.slug for x in MECHANISMS}
    ]
    return await page(
        request,
        db,
        tenant,
        principal,
        "console/mechanisms.html",
        "mechanisms",
        pillars=pillars,
        others=others,
        message=message,
        changed=request.query_params.get("changed"),
    )


def login_redirect(path: str, query: str) -> Redirect | None:
    """Where a console page without a session sends the browser: its district's login, then back."""
    parts = path.split("/")
    if len(parts) < 4 or parts[1] != "t" or parts[3] != "console" or path.endswith("/login"):
        return None
    target = path + (f"?{query}" if query else "")
    return Redirect(path=f"/t/{parts[2]}/console/login?next={quote(target)}", status_code=303)


__all__ = ["ConsoleController", "console_path", "login_redirect"]


async def console_page(
    request: Request[Any, Any, Any], db: Any, template: str, *, active: str, **context: Any
) -> Template:
    """A plugin's console page in the console's shell (menu, user, language), for the caller's district.

    ``template`` extends ``console/base.html``; ``active`` is the menu key
    (``"m.<slug>"``). Raises 404 unless the caller is logged in to the district of the URL.
    """
    tenant_slug = request.path_params.get("tenant", "")
    tenant, principal = await signed_in(request, db, str(tenant_slug))
    return await page(request, db, tenant, principal, template, active, **context)


class AttachmentPanel(Controller):
    """The files of a record inside any console page: an htmx panel that lists them (signed, expiring
    links) and uploads more; the same service and the same reach rule as the API."""

    path = f"{CONSOLE}/attachments"
    include_in_schema = False

    @get("/")
    async def panel(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        owner: Annotated[str, QueryParameter(max_length=80)],
        owner_id: Annotated[uuid.UUID, QueryParameter()],
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await attachment_panel(db, found, principal, owner, owner_id)

    @post("/", request_max_body_size=UPLOAD_LIMIT, status_code=200, media_type="text/html")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        from litestar.datastructures import UploadFile

        from core.attachments import service as attachments

        found, principal = await signed_in(request, db, tenant)
        owner = str(data.get("owner") or "")
        try:
            owner_id = uuid.UUID(str(data.get("owner_id") or ""))
        except ValueError:
            raise not_found() from None
        upload = data.get("file")
        error: str | None = None
        if not isinstance(upload, UploadFile):
            error = "请选择文件" if current_locale() == "zh_CN" else "Choose a file"
        else:
            content = await upload.read()
            try:
                async with db.begin_nested():
                    await attachments.attach(db, principal, owner, owner_id, upload.filename, content)
            except ProblemError as exc:
                if exc.status == 404:
                    raise
                error = first_message(exc)
        return await attachment_panel(db, found, principal, owner, owner_id, error=error)


async def attachment_panel(
    db: Any,
    tenant: Tenant,
    principal: Principal,
    owner: str,
    owner_id: uuid.UUID,
    *,
    error: str | None = None,
) -> Template:
    from core.attachments import service as attachments

    rows = await attachments.attachments_of(db, principal, owner, owner_id)
    registered = attachments.owner_of(owner)
    files = []
    for row in rows:
        token, _expires = attachments.signed_link(row)
        files.append(
            {"name": row.name, "size": row.size, "type": row.content_type, "url": f"/api/v1/files/{token}"}
        )
    return Template(
        template_name="console/_attachments.html",
        context={
            "files": files,
            "owner": owner,
            "owner_id": owner_id,
            "error": error,
            "can_upload": principal.has(registered.write_permission),
            "console": console_path(tenant.slug),
            "locale": current_locale(),
        },
    )


PARTY_STATUSES = {
    "full": ("正式党员", "Full member"),
    "probationary": ("预备党员", "Probationary"),
    "none": ("非党员", "Not a member"),
}


class PeoplePages(Controller):
    """People: the list with filters (masked ID and phone, as the API), and the spreadsheet import."""

    path = f"{CONSOLE}/people"
    include_in_schema = False

    @get("/")
    async def people(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        node: Annotated[uuid.UUID | None, QueryParameter()] = None,
        q: Annotated[str | None, QueryParameter(max_length=50)] = None,
        party_status: Annotated[str | None, QueryParameter(pattern="^(|full|probationary|none)$")] = None,
        category: Annotated[
            str | None, QueryParameter(pattern="^(|in_service|retired|mobile|resident)$")
        ] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        from core.people import services as people

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("person.read"):
            raise not_found()
        stmt, cutoff = await people.people_select(
            db, principal, node_id=node, q=q, party_status=party_status or None, category=category or None
        )
        shown, total = await people.people_page(db, stmt, cutoff, PageParams(limit=50, offset=offset))
        return await page(
            request,
            db,
            found,
            principal,
            "console/people.html",
            "people",
            people=shown,
            total=total,
            offset=offset,
            q=q or "",
            party_status=party_status or "",
            category=category or "",
            node=node,
            statuses=PARTY_STATUSES,
        )

    @get("/import")
    async def import_form(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        found, principal = await signed_in(request, db, tenant)
        if not principal.has("person.import"):
            raise not_found()
        return await page(
            request, db, found, principal, "console/people_import.html", "people", report=None, problems=[]
        )

    @post("/import", request_max_body_size=12 * 1024 * 1024, status_code=200, media_type="text/html")
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Template:
        """Import every row or none; the report lists each bad row and column, as the API's 422 does."""
        import asyncio

        from litestar.datastructures import UploadFile

        from core.imports import people as people_import
        from core.imports.spreadsheet import MAX_FILE_BYTES, read_table, too_large

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("person.import"):
            raise not_found()
        upload = data.get("file")
        report: dict[str, Any] | None = None
        problems: list[dict[str, Any]] = []
        if not isinstance(upload, UploadFile):
            problems = [
                {
                    "row": None,
                    "column": None,
                    "message": "请选择文件" if current_locale() == "zh_CN" else "Choose a file",
                }
            ]
        else:
            try:
                content = await upload.read()
                if len(content) > MAX_FILE_BYTES:
                    raise too_large()
                table = await asyncio.to_thread(
                    read_table,
                    content,
                    upload.filename,
                    people_import.PERSON_COLUMNS,
                    renames=people_import.PERSON_RENAMES,
                )
                async with db.begin_nested():
                    result = await people_import.import_people(
                        db, principal, table, dry_run=data.get("dry_run") == "1"
                    )
                report = {"created": result.created, "dry_run": result.dry_run}
            except ProblemError as exc:
                body = exc.to_problem(current_locale())
                problems = [
                    {"row": e.get("row"), "column": e.get("column"), "message": e["message"]}
                    for e in body.get("errors", [])
                ] or [{"row": None, "column": None, "message": body["detail"]}]
        return await page(
            request,
            db,
            found,
            principal,
            "console/people_import.html",
            "people",
            report=report,
            problems=problems,
        )


def config_fields(config_type: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The form fields of a plugin's configuration, generated from its JSON Schema."""
    import msgspec

    schema = msgspec.json.schema(config_type)
    definitions = schema.get("$defs", {})
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    fields = []
    for name, spec in schema.get("properties", {}).items():
        if "$ref" in spec:
            spec = definitions.get(spec["$ref"].rsplit("/", 1)[-1], spec)
        items = spec.get("items", {})
        fields.append(
            {
                "name": name,
                "type": spec.get("type", "string"),
                "enum": spec.get("enum") or items.get("enum"),
                "minimum": spec.get("minimum"),
                "maximum": spec.get("maximum"),
                "value": values.get(name, spec.get("default")),
            }
        )
    return fields


def form_to_config(fields: list[dict[str, Any]], form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values from the submitted form, and a message per field that is not even of the right type."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    zh = current_locale() == "zh_CN"
    for field in fields:
        name, kind = field["name"], field["type"]
        if kind == "boolean":
            values[name] = form.get(name) == "on"
        elif kind == "array":
            values[name] = list(form.getall(name, []))
        elif kind == "integer":
            raw = (form.get(name) or "").strip()
            try:
                values[name] = int(raw)
            except ValueError:
                errors[name] = "请填写整数" if zh else "Enter a whole number"
                values[name] = raw
        else:
            values[name] = form.get(name) or ""
    return values, errors


class MechanismPage(Controller):
    """One mechanism for a district: status, configuration form (from its JSON Schema), purge with preview."""

    path = f"{CONSOLE}/mechanisms/{{slug:str}}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], slug: FromPath[str]
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await mechanism_page(request, db, found, principal, slug)

    @post("/config", status_code=200, media_type="text/html")
    async def configure(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], slug: FromPath[str]
    ) -> Response[Any]:
        found, principal = await signed_in(request, db, tenant)
        await require_configure(db, principal)
        host: PluginHost = request.app.state.plugin_host
        manifest = host.manifest(slug)
        if manifest is None:
            raise not_found()
        fields = config_fields(manifest.config, {})
        values, errors = form_to_config(fields, await request.form())
        if not errors:
            try:
                async with db.begin_nested():
                    await plugin_state.configure(db, host, principal.tenant_id, slug, values)
            except ProblemError as exc:
                errors = field_errors(exc, fields[0]["name"] if fields else "_")
        if errors:
            return await mechanism_page(request, db, found, principal, slug, typed=values, errors=errors)
        await db.commit()
        return Redirect(path=console_path(found.slug, f"/mechanisms/{slug}?saved=1"), status_code=303)

    @post("/purge", status_code=200, media_type="text/html")
    async def purge(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], slug: FromPath[str]
    ) -> Response[Any]:
        found, principal = await signed_in(request, db, tenant)
        await require_configure(db, principal)
        host: PluginHost = request.app.state.plugin_host
        form = await request.form()
        try:
            async with db.begin_nested():
                deleted = await plugin_state.purge(
                    db, host, principal.tenant_id, slug, str(form.get("confirm") or "")
                )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await mechanism_page(request, db, found, principal, slug, purge_error=first_message(exc))
        await db.commit()
        total = sum(deleted.values())
        return Redirect(path=console_path(found.slug, f"/mechanisms/{slug}?purged={total}"), status_code=303)


async def mechanism_page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    slug: str,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    purge_error: str | None = None,
) -> Template:
    await require_configure(db, principal)
    host: PluginHost = request.app.state.plugin_host
    manifest = host.manifest(slug)
    if manifest is None:
        raise not_found()
    status = {s.slug: s for s in await plugin_state.statuses(db, host, principal.tenant_id)}.get(slug)
    current = status.config if status is not None and status.config else {}
    preview = await plugin_state.purge_preview(db, host, principal.tenant_id, slug)
    zh = current_locale() == "zh_CN"
    return await page(
        request,
        db,
        tenant,
        principal,
        "console/mechanism.html",
        "mechanisms",
        manifest=manifest,
        name=manifest.name_zh if zh else manifest.name_en,
        description=manifest.description_zh if zh else manifest.description_en,
        enabled=bool(status and status.enabled),
        fields=config_fields(manifest.config, {**current, **(typed or {})}),
        errors=errors or {},
        preview=preview,
        purge_error=purge_error,
        saved=request.query_params.get("saved"),
        purged=request.query_params.get("purged"),
    )


class AuditPages(Controller):
    """The audit log for the audit administrator: filters by action, user and success; newest first."""

    path = f"{CONSOLE}/audit"
    include_in_schema = False

    @get("/")
    async def records(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        action: Annotated[str | None, QueryParameter(max_length=80)] = None,
        username: Annotated[str | None, QueryParameter(max_length=64)] = None,
        success: Annotated[str | None, QueryParameter(pattern="^(|true|false)$")] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        from core.audit.routes import audit_out, records_select
        from core.web.schemas import paginate

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("audit.read"):
            raise not_found()
        stmt = records_select(
            principal,
            action=action or None,
            username=username or None,
            success=None if not success else success == "true",
        )
        rows, total = await paginate(db, stmt, PageParams(limit=50, offset=offset))
        return await page(
            request,
            db,
            found,
            principal,
            "console/audit.html",
            "audit",
            records=[audit_out(r) for r in rows],
            total=total,
            offset=offset,
            action=action or "",
            username=username or "",
            success=success or "",
        )


class AccountPages(Controller):
    """Accounts for the system administrator (create, invite) and the roles they hold for the security
    administrator (grant, revoke): each sees and does only what their permissions allow."""

    path = f"{CONSOLE}/users"
    include_in_schema = False

    @get("/")
    async def accounts(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await accounts_page(request, db, found, principal, offset=offset)

    @post("/", status_code=200, media_type="text/html")
    async def create(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        from core.auth.routes import invitation_days

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("user.write"):
            raise not_found()
        typed = {k: (data.get(k) or "").strip() for k in ("username", "display_name", "email", "role")}
        errors: dict[str, str] = {}
        invitation: dict[str, Any] | None = None
        root = await root_node(db, principal.tenant_id)
        try:
            async with db.begin_nested():
                node = await node_in_scope(db, principal, root.id, "user.write")
                user, token = await auth_service.invite_user(
                    db,
                    principal,
                    org_node=node,
                    username=typed["username"],
                    display_name=typed["display_name"],
                    role_keys=[typed["role"]] if typed["role"] else [],
                    email=typed["email"] or None,
                )
            invitation = {
                "username": user.username,
                "token": token,
                "days": await invitation_days(db, principal),
            }
        except ProblemError as exc:
            if exc.status == 404:
                raise
            errors = field_errors(exc, "username")
        return await accounts_page(
            request, db, found, principal, typed=typed, errors=errors, invitation=invitation
        )

    @get("/{user_id:uuid}")
    async def account(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], user_id: FromPath[uuid.UUID]
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await account_page(request, db, found, principal, user_id)

    @post("/{user_id:uuid}/grants", status_code=200, media_type="text/html")
    async def grant(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        user_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        found, principal = await signed_in(request, db, tenant)
        if not principal.has("grant.write"):
            raise not_found()
        try:
            node_id = uuid.UUID(data.get("node_id") or "")
        except ValueError:
            node_id = (await root_node(db, principal.tenant_id)).id
        try:
            async with db.begin_nested():
                await auth_service.grant(
                    db, principal, user_id=user_id, role_key=data.get("role") or "", node_id=node_id
                )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await account_page(request, db, found, principal, user_id, error=first_message(exc))
        await db.commit()
        return Redirect(path=console_path(found.slug, f"/users/{user_id}"), status_code=303)

    @post("/{user_id:uuid}/grants/{assignment_id:uuid}/revoke", status_code=200, media_type="text/html")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        user_id: FromPath[uuid.UUID],
        assignment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        found, principal = await signed_in(request, db, tenant)
        if not principal.has("grant.write"):
            raise not_found()
        try:
            async with db.begin_nested():
                await auth_service.revoke(db, principal, assignment_id)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await account_page(
                request, db, found, principal, user_id, error=exc.to_problem(current_locale())["detail"]
            )
        await db.commit()
        return Redirect(path=console_path(found.slug, f"/users/{user_id}"), status_code=303)


async def accounts_page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    *,
    offset: int = 0,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    invitation: dict[str, Any] | None = None,
) -> Template:
    from core.auth.models import Role, User
    from core.auth.routes import user_out
    from core.auth.scope import scoped_select
    from core.web.schemas import paginate

    if not principal.has("user.read"):
        raise not_found()
    rows, total = await paginate(
        db, scoped_select(User, principal, "user.read").order_by(User.username), PageParams(50, offset)
    )
    roles = list(await db.scalars(select(Role).order_by(Role.key)))
    return await page(
        request,
        db,
        tenant,
        principal,
        "console/users.html",
        "users",
        users=[user_out(u) for u in rows],
        total=total,
        offset=offset,
        roles=roles,
        typed=typed or {},
        errors=errors or {},
        invitation=invitation,
    )


async def account_page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    user_id: uuid.UUID,
    *,
    error: str | None = None,
) -> Template:
    from core.auth.models import Role, RoleAssignment
    from core.auth.routes import user_out

    if not principal.has("role.read"):
        raise not_found()
    user = await auth_service.user_in_scope(db, principal, user_id, "role.read")
    rows = await db.execute(
        select(RoleAssignment, Role, OrgNode)
        .join(Role, (Role.tenant_id == RoleAssignment.tenant_id) & (Role.id == RoleAssignment.role_id))
        .join(
            OrgNode,
            (OrgNode.tenant_id == RoleAssignment.tenant_id) & (OrgNode.id == RoleAssignment.org_node_id),
        )
        .where(RoleAssignment.user_id == user.id)
        .order_by(Role.key)
    )
    grants = [
        {"id": a.id, "role": r.name_zh if current_locale() == "zh_CN" else r.name_en, "node": n.name}
        for a, r, n in rows.tuples()
    ]
    roles = list(await db.scalars(select(Role).order_by(Role.key)))
    roots = await org_services.scope_roots(db, principal)
    return await page(
        request,
        db,
        tenant,
        principal,
        "console/user.html",
        "users",
        user=user_out(user),
        grants=grants,
        roles=roles,
        roots=roots,
        error=error,
    )


class PersonPage(Controller):
    """One person: the masked record, an audited "show" for those allowed to unmask, and the edit form."""

    path = f"{CONSOLE}/people/{{person_id:uuid}}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], person_id: FromPath[uuid.UUID]
    ) -> Template:
        found, principal = await signed_in(request, db, tenant)
        return await person_page(request, db, found, principal, person_id)

    @post("/unmask", status_code=200, media_type="text/html")
    async def unmask(
        self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str], person_id: FromPath[uuid.UUID]
    ) -> Template:
        """Show the full ID card number and phone once, on this page; the showing is audited."""
        from core.people import services as people

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("person.unmask"):
            raise not_found()
        sensitive = await people.unmask(db, principal, person_id)
        return await person_page(request, db, found, principal, person_id, sensitive=sensitive)

    @post("/", status_code=200, media_type="text/html")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        person_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        import msgspec

        from core.people import services as people
        from core.people.schemas import PersonUpdate

        found, principal = await signed_in(request, db, tenant)
        if not principal.has("person.write"):
            raise not_found()
        typed = {k: (data.get(k) or "").strip() for k in EDITABLE_PERSON_FIELDS}
        errors: dict[str, str] = {}
        try:
            changes = msgspec.convert({k: (v or None) for k, v in typed.items()}, PersonUpdate)
            async with db.begin_nested():
                await people.update_person(db, principal, person_id, changes)
        except msgspec.ValidationError as exc:
            from core.web.problems import field_problem_from_msgspec

            problem = field_problem_from_msgspec(str(exc))
            errors = {problem.field: problem.render(current_locale())["message"]}
        except ProblemError as exc:
            if exc.status == 404:
                raise
            errors = field_errors(exc, "phone")
        if errors:
            return await person_page(request, db, found, principal, person_id, errors=errors, typed=typed)
        await db.commit()
        return Redirect(path=console_path(found.slug, f"/people/{person_id}?saved=1"), status_code=303)


EDITABLE_PERSON_FIELDS = ("phone", "category", "work_unit", "address")


async def person_page(
    request: Request[Any, Any, Any],
    db: Any,
    tenant: Tenant,
    principal: Principal,
    person_id: uuid.UUID,
    *,
    sensitive: Any = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    from core.people import services as people

    person = await people.person_in_scope(db, principal, person_id, "person.read")
    names = await people.node_names(db, {person.org_node_id})
    shown = people.person_out(person, names.get(person.org_node_id))
    return await page(
        request,
        db,
        tenant,
        principal,
        "console/person.html",
        "people",
        person=shown,
        sensitive=sensitive,
        errors=errors or {},
        typed=typed or {},
        statuses=PARTY_STATUSES,
        saved=request.query_params.get("saved"),
    )


class OrgActions(Controller):
    """Change an organisation from its page: rename, move under another parent, archive."""

    path = f"{CONSOLE}/org/nodes/{{node_id:uuid}}"
    include_in_schema = False

    @post("/", status_code=200, media_type="text/html")
    async def act(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        tenant: FromPath[str],
        node_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        from core.orgs.schemas import NodeMove, NodeUpdate

        found, principal = await signed_in(request, db, tenant)
        action = data.get("action")
        typed = {k: (data.get(k) or "").strip() for k in ("name", "code", "parent_id")}
        target = node_id
        try:
            async with db.begin_nested():
                if action == "rename":
                    await org_services.update_node(
                        db, principal, node_id, NodeUpdate(name=typed["name"], code=typed["code"] or None)
                    )
                elif action == "move":
                    await org_services.move_node(
                        db, principal, node_id, NodeMove(parent_id=uuid.UUID(typed["parent_id"]))
                    )
                elif action == "archive":
                    archived = await org_services.archive_node(db, principal, node_id)
                    target = archived.parent_id or node_id
                else:
                    raise not_found()
        except ValueError:
            return await org_page(
                request, db, found, principal, node_id, errors={"parent_id": "?"}, typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            errors = field_errors(exc, str(action))
            return await org_page(request, db, found, principal, node_id, errors=errors, typed=typed)
        await db.commit()
        return Redirect(path=console_path(found.slug, f"/org?node={target}"), status_code=303)
