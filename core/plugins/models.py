"""``tenant_plugin``: which plugins a district has enabled, and their configuration.

A platform table (no row-level security): reached only through
``core.plugins.state``, which always filters by tenant explicitly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import PLATFORM_TABLE, Base, utcnow


class TenantPlugin(Base):
    __tablename__ = "tenant_plugin"
    __table_args__ = ({"info": {PLATFORM_TABLE: True}},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
