"""Import every core table so ``Base.metadata`` is complete (migrations, schema tests)."""

from core.attachments.models import Attachment, AttachmentBlob
from core.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from core.auth.models import AuthSession, PasswordHistory, Role, RoleAssignment, User, UserToken
from core.db.base import Base
from core.jobs.models import OutboxEntry
from core.notifications.models import Notification, NotificationDelivery, NotificationPreference
from core.orgs.models import OrgNode
from core.people.models import Affiliation, Person, PersonDataRequest, PersonRelation
from core.plugins.models import TenantPlugin
from core.tenancy.models import Tenant

__all__ = [
    "Affiliation",
    "Attachment",
    "AttachmentBlob",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditRecord",
    "AuthSession",
    "Base",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "OrgNode",
    "OutboxEntry",
    "PasswordHistory",
    "Person",
    "PersonDataRequest",
    "PersonRelation",
    "Role",
    "RoleAssignment",
    "Tenant",
    "TenantPlugin",
    "User",
    "UserToken",
]
