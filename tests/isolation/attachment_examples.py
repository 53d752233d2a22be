"""Isolation examples of the attachment routes: files of a hello note on A's community C1."""

from __future__ import annotations

import io
import uuid

from tests.isolation.registry import Example, register
from tests.isolation.world import World

BASE = "/api/v1/attachments"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "PNG")
    return out.getvalue()


async def _note(w: World) -> uuid.UUID:
    from tests.fixture_plugins.hello import HelloNote

    await w.ensure_plugin("hello", enabled=True)
    assert w.a is not None
    async with w.database.transaction(w.a.id) as session:
        note = HelloNote(org_node_id=w.c1, text="附件")
        session.add(note)
    w.remember(note.id, w.paths[w.c1])
    return note.id


async def _file(w: World, note_id: uuid.UUID | None = None) -> tuple[uuid.UUID, str]:
    note_id = note_id or await _note(w)
    response = await w.call(
        w.owners["system"],
        "POST",
        BASE,
        {"owner": "hello.note", "owner_id": str(note_id)},
        files={"file": ("照片.png", _png(), "image/png")},
    )
    assert response.status_code == 201, response.text
    attachment_id = response.json()["id"]
    w.remember(uuid.UUID(attachment_id), w.paths[w.c1])
    return note_id, attachment_id


def _listing(note_id: uuid.UUID) -> str:
    return f"{BASE}?owner=hello.note&owner_id={note_id}"


@register("POST", BASE)
async def upload(w: World) -> Example:
    note_id = await _note(w)
    return Example(
        BASE,
        json={"owner": "hello.note", "owner_id": str(note_id)},
        files={"file": ("照片.png", _png(), "image/png")},
        expect=201,
        readback=_listing(note_id),
    )


@register("GET", BASE)
async def list_files(w: World) -> Example:
    note_id, attachment_id = await _file(w)
    return Example(
        BASE, params={"owner": "hello.note", "owner_id": str(note_id)}, owner_sees=(attachment_id,)
    )


@register("GET", f"{BASE}/{{attachment_id:uuid}}")
async def read(w: World) -> Example:
    _note_id, attachment_id = await _file(w)
    return Example(f"{BASE}/{attachment_id}", owner_sees=(attachment_id,))


@register("GET", f"{BASE}/{{attachment_id:uuid}}/content")
async def download(w: World) -> Example:
    _note_id, attachment_id = await _file(w)
    return Example(f"{BASE}/{attachment_id}/content")


@register("GET", f"{BASE}/{{attachment_id:uuid}}/thumbnail")
async def thumbnail(w: World) -> Example:
    _note_id, attachment_id = await _file(w)
    return Example(f"{BASE}/{attachment_id}/thumbnail")


@register("POST", f"{BASE}/{{attachment_id:uuid}}/link")
async def link(w: World) -> Example:
    _note_id, attachment_id = await _file(w)
    return Example(f"{BASE}/{attachment_id}/link", owner_sees=("/api/v1/files/",))


@register("DELETE", f"{BASE}/{{attachment_id:uuid}}")
async def remove(w: World) -> Example:
    note_id, attachment_id = await _file(w)
    return Example(f"{BASE}/{attachment_id}", expect=204, readback=_listing(note_id))
