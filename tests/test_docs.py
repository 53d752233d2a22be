"""Every hook is documented in docs/plugins/hooks.md with its exact signature (as Datasette does)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from core import hookspecs

HOOKS_DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins" / "hooks.md"


def specs() -> dict[str, str]:
    return {
        name: f"{name}({', '.join(inspect.signature(fn).parameters)})"
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("quanyu_")
    }


def test_every_hook_is_documented_with_its_exact_signature():
    documented = set(re.findall(r"^## `(quanyu_\w+\([^)]*\))`", HOOKS_DOC.read_text(encoding="utf-8"), re.M))
    expected = set(specs().values())
    assert not expected - documented, f"undocumented or changed: {sorted(expected - documented)}"
    assert not documented - expected, f"documented but not a hook: {sorted(documented - expected)}"


def test_every_hook_has_a_docstring():
    assert all((getattr(hookspecs, name).__doc__ or "").strip() for name in specs())
