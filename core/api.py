"""The public surface of the core: what a plugin (built-in or installed with pip) may import.

Everything else under ``core`` is internal and may change without notice.
The plugin host (hooks, manifests, jobs, events) extends this module; the
names here are the tenancy, scope, error, pagination and audit patterns
every mechanism copies.
"""

from __future__ import annotations

from core.attachments.service import AttachmentOwner, attachments_of, detach_all
from core.audit.service import diff as audit_diff
from core.audit.service import record as audit
from core.auth.permissions import Permission, register_permission
from core.auth.scope import (
    Grant,
    Principal,
    load_in_scope,
    node_in_scope,
    require,
    scope_predicate,
    scoped_select,
)
from core.clock import DISTRICT_TIMEZONE, district_now, district_today
from core.console.pages import ConsoleNav, ConsolePages
from core.console.public import public_district, public_page
from core.console.routes import console_page
from core.context import current_principal
from core.dashboard.figures import Figure
from core.dashboard.map import MapFeature
from core.db.base import Base, TenantScoped, Timestamped, tenant_fk, tenant_relationship, utcnow
from core.db.ids import new_id
from core.db.migrate import MigrationLocation
from core.db.rls import disable_tenant_rls, enable_tenant_rls
from core.db.session import CrossTenantWrite, get_database
from core.errors import (
    BadRequest,
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    RateLimited,
    Unauthorized,
    invalid_field,
    not_found,
)
from core.i18n import _, add_catalog, current_locale, translate
from core.isolation import Example as IsolationExample
from core.jobs.service import JobContext, enqueue
from core.jobs.service import publish as publish_event
from core.notifications.service import NotificationTemplate, notify, register_template
from core.orgs.kinds import NodeAttrs, NodeKind, allow_parent, get_kind, register_kind
from core.orgs.models import OrgNode, in_subtree
from core.orgs.services import add_node, ancestors
from core.people.data_requests import ErasureItem
from core.people.models import Affiliation, Person
from core.people.services import AffiliationKind, register_affiliation_kind
from core.people.validation import make_id_card
from core.plugins.host import hookimpl
from core.plugins.manifest import Manifest, NoConfig, PluginPermission
from core.plugins.state import plugin_config
from core.tenancy.context import current_tenant_id, tenant_context
from core.watermark import export_watermark, watermark_workbook
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Input, Output, Page, PageParams, paginate

__all__ = [
    "DB",
    "DISTRICT_TIMEZONE",
    "Affiliation",
    "AffiliationKind",
    "AttachmentOwner",
    "BadRequest",
    "Base",
    "Conflict",
    "ConsoleNav",
    "ConsolePages",
    "CrossTenantWrite",
    "CurrentPrincipal",
    "ErasureItem",
    "FieldProblem",
    "Figure",
    "Forbidden",
    "Grant",
    "Input",
    "Invalid",
    "IsolationExample",
    "JobContext",
    "Manifest",
    "MapFeature",
    "MigrationLocation",
    "NoConfig",
    "NodeAttrs",
    "NodeKind",
    "NotFound",
    "NotificationTemplate",
    "OrgNode",
    "Output",
    "Page",
    "PageParams",
    "Paging",
    "PayloadTooLarge",
    "Permission",
    "Person",
    "PluginPermission",
    "Principal",
    "ProblemError",
    "RateLimited",
    "TenantScoped",
    "Timestamped",
    "Unauthorized",
    "_",
    "add_catalog",
    "add_node",
    "allow_parent",
    "ancestors",
    "attachments_of",
    "audit",
    "audit_diff",
    "console_page",
    "current_locale",
    "current_principal",
    "current_tenant_id",
    "detach_all",
    "disable_tenant_rls",
    "district_now",
    "district_today",
    "enable_tenant_rls",
    "enqueue",
    "export_watermark",
    "get_database",
    "get_kind",
    "hookimpl",
    "in_subtree",
    "invalid_field",
    "load_in_scope",
    "make_id_card",
    "new_id",
    "node_in_scope",
    "not_found",
    "notify",
    "paginate",
    "plugin_config",
    "public_district",
    "public_page",
    "publish_event",
    "register_affiliation_kind",
    "register_kind",
    "register_permission",
    "register_template",
    "require",
    "scope_predicate",
    "scoped_select",
    "tenant_context",
    "tenant_fk",
    "tenant_relationship",
    "translate",
    "utcnow",
    "watermark_workbook",
]
