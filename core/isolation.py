"""The isolation suite's example type, shipped with the core so plugins can describe their routes.

A plugin returns, from its ``quanyu_isolation_examples`` hook, a mapping
``(METHOD, path template) -> async builder``; a builder receives the suite's
world (tenant A's objects, other districts' administrators, a sibling-street
secretary) and returns an ``Example``: the concrete request against tenant
A's data and what its owner's success looks like. See tests/isolation in the
core's repository for how the suite runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Owner = Literal["system", "security", "audit"]
Kind = Literal["object", "collection", "local_write"]


@dataclass
class Example:
    """One concrete request against tenant A's data.

    ``kind`` says what an outsider (tenant B's administrators, A's
    sibling-street secretary) must get:

    * ``object``: the URL or body names A's objects; outsiders get 404, or 403
      when they do not hold the route's permission anywhere;
    * ``collection``: a caller-scoped read (a list, "me", the district);
      outsiders get 2xx whose text holds none of A's ids (403 without the
      permission);
    * ``local_write``: a write into the caller's own district that names no
      object of A; outsiders may succeed, A must not change.

    ``readback`` is a URL the owner reads before and after the outsiders'
    attempts: the two must be equal (nothing of A changed); unless
    ``readback_changes`` is false, the owner's own request must then change
    it (the readback can see the write at all). ``owner_sees``
    are ids the owner's response must contain (the positive control is
    real). ``own_user`` runs every party as a throwaway account holding the
    same role (for routes that act on the caller's own session or password).
    ``files`` makes the request multipart (uploads). ``refusal`` is the status
    and problem code an outsider holding the permission gets for an ``object``
    example: 404 ``not_found`` unless the route reports A's objects as absent
    another way (a spreadsheet row naming an unknown organisation: 422).
    """

    url: str
    json: Any = None
    expect: int = 200
    owner: Owner = "system"
    kind: Kind = "object"
    readback: str | None = None
    readback_changes: bool = True
    owner_sees: tuple[str, ...] = ()
    own_user: bool = False
    params: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    refusal: tuple[int, str] = (404, "not_found")
