"""The organisation tree of a district in memory, for naming nodes in spreadsheets.

A spreadsheet names a node by its code or by its path of names below the
district ("和平路街道/大西路社区/大西路社区第一党支部"). Loading the whole tree
once lets an import of thousands of rows resolve every reference without a
query per row.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.orgs.models import OrgNode

_SEPARATORS = re.compile(r"\s*[/／]\s*")
PATH_SEPARATOR = "/"


class NodeIndex:
    """Every node of the tenant by id, by code, and (active ones) by their path of names."""

    def __init__(self, nodes: list[OrgNode]) -> None:
        self.by_id = {n.id: n for n in nodes}
        self.root = next(n for n in nodes if n.parent_id is None)
        self.by_code = {n.code: n for n in nodes if n.code}
        self._names: dict[uuid.UUID, tuple[str, ...]] = {self.root.id: ()}
        self.by_names: dict[tuple[str, ...], OrgNode] = {}
        self.children_names: set[tuple[uuid.UUID, str]] = set()
        for node in sorted(nodes, key=lambda n: n.depth):
            self._remember(node)

    @classmethod
    async def load(cls, session: AsyncSession) -> NodeIndex:
        return cls(list(await session.scalars(select(OrgNode))))

    def _remember(self, node: OrgNode) -> None:
        if node.parent_id is None or node.archived_at is not None:
            return
        parent_names = self._names.get(node.parent_id)
        if parent_names is None:
            return
        names = (*parent_names, node.name)
        self._names[node.id] = names
        self.by_names[names] = node
        self.children_names.add((node.parent_id, node.name))

    def add(self, node: OrgNode) -> None:
        """A node created by the file being imported, so later rows can name it."""
        self.by_id[node.id] = node
        if node.code:
            self.by_code[node.code] = node
        self._remember(node)

    def names(self, node: OrgNode) -> tuple[str, ...]:
        """The names from below the district down to ``node`` (empty for the district)."""
        known = self._names.get(node.id)
        if known is not None:
            return known
        chain: list[str] = []
        current: OrgNode | None = node
        while current is not None and current.parent_id is not None:
            chain.append(current.name)
            current = self.by_id.get(current.parent_id)
        return tuple(reversed(chain))

    def label(self, node: OrgNode) -> str:
        """The path as spreadsheets write it; the district's own name for the district."""
        return PATH_SEPARATOR.join(self.names(node)) or self.root.name

    def split(self, reference: str) -> tuple[str, ...]:
        """The names a path reference lists below the district."""
        names = tuple(" ".join(part.split()) for part in _SEPARATORS.split(reference.strip()) if part.strip())
        if names and names[0] == self.root.name:
            names = names[1:]
        return names

    def resolve(self, reference: str) -> OrgNode | None:
        """The node a cell names: a code, a path of names (optionally led by the district's name) or an id."""
        text = reference.strip()
        if text in self.by_code:
            return self.by_code[text]
        names = self.split(text)
        if not names:
            return self.root
        found = self.by_names.get(names)
        if found is None and len(names) == 1:
            try:
                found = self.by_id.get(uuid.UUID(names[0]))
            except ValueError:
                found = None
        return found


def common_ancestor(paths: list[str]) -> uuid.UUID | None:
    """The deepest node above every path: where a bulk change's audit record belongs in the tree."""
    shared: str | None = None
    for segments in zip(*(p.split("/")[:-1] for p in paths), strict=False):
        if any(s != segments[0] for s in segments):
            break
        shared = segments[0]
    return uuid.UUID(hex=shared) if shared else None
