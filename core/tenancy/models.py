"""The platform-level ``tenant`` table (no RLS: reached only through core code)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, Timestamped
from core.db.ids import new_id

TENANT_ACTIVE = "active"
TENANT_SUSPENDED = "suspended"


class Tenant(Timestamped, Base):
    """One district (区/县), identified by its 6-digit administrative code and a slug."""

    __tablename__ = "tenant"
    __table_args__ = (CheckConstraint("status IN ('active', 'suspended')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=TENANT_ACTIVE)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", new_id())
        super().__init__(**kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == TENANT_ACTIVE
