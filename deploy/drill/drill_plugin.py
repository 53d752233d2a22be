"""The drill's own plugin: a job that takes as long as it is told and leaves one row per run.

Loaded only by ``launch.py`` in the drill's processes (never installed), it gives the drill a job whose
effect can be counted: a job that ran twice, or not at all, shows in ``drill_effect``.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter
from sqlalchemy import Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.api import (
    DB,
    Base,
    CurrentPrincipal,
    Input,
    Manifest,
    MigrationLocation,
    Output,
    TenantScoped,
    Timestamped,
    enqueue,
    hookimpl,
)

STARTED_DIR_VARIABLE = "DRILL_STARTED_DIR"


class DrillEffect(TenantScoped, Timestamped, Base):
    """One row per completed run of a drill job (the job's effect)."""

    __tablename__ = "drill_effect"
    __table_args__ = (Index("ix_drill_effect_tenant_id_job_key", "tenant_id", "job_key"),)

    job_key: Mapped[str] = mapped_column(String(64))
    worker_pid: Mapped[int] = mapped_column(Integer)


class JobsIn(Input):
    count: Annotated[int, msgspec.Meta(ge=1, le=500)]
    seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 0.0


class JobsOut(Output):
    keys: list[str]


class EffectsOut(Output):
    runs: dict[str, int]
    workers: dict[str, list[int]]


class DrillController(Controller):
    path = "/"

    @post("/jobs", opt={"permission": "tenant.configure"}, status_code=201)
    async def queue_jobs(self, db: DB, principal: CurrentPrincipal, data: JobsIn) -> JobsOut:
        keys = [uuid.uuid4().hex for _ in range(data.count)]
        for key in keys:
            await enqueue(db, "drill.record", {"key": key, "seconds": data.seconds}, max_attempts=10)
        return JobsOut(keys=keys)

    @get("/effects", opt={"permission": "tenant.configure"})
    async def effects(
        self,
        db: DB,
        principal: CurrentPrincipal,
        keys: Annotated[list[str] | None, Parameter(query="key")] = None,
    ) -> EffectsOut:
        query = select(DrillEffect.job_key, DrillEffect.worker_pid)
        if keys:
            query = query.where(DrillEffect.job_key.in_(keys))
        runs: dict[str, int] = {}
        workers: dict[str, list[int]] = {}
        for key, pid in (await db.execute(query)).all():
            runs[key] = runs.get(key, 0) + 1
            workers.setdefault(key, []).append(pid)
        return EffectsOut(runs=runs, workers=workers)

    @get("/count")
    async def count(self, db: DB, principal: CurrentPrincipal) -> dict[str, int]:
        return {"effects": int(await db.scalar(select(func.count()).select_from(DrillEffect)) or 0)}


async def record(ctx: Any) -> None:
    """Job: announce the start (a file named by district, job and worker pid), wait, then leave a row."""
    started_dir = os.environ.get(STARTED_DIR_VARIABLE)
    if started_dir:
        marker = Path(started_dir) / str(ctx.tenant_id) / f"{ctx.payload['key']}.{os.getpid()}"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    await asyncio.sleep(float(ctx.payload.get("seconds", 0)))
    ctx.session.add(DrillEffect(job_key=ctx.payload["key"], worker_pid=os.getpid()))


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="drill", name_zh="演练", name_en="Drill", version="1.0.0", pillar="other")


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(
        "drill", Path(__file__).resolve().parent / "drill_migrations", frozenset({"drill_effect"})
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return [DrillController]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return {"record": record}
