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


SECURITY_DOC = HOOKS_DOC.parent.parent / "security.md"
ROOT = HOOKS_DOC.parent.parent.parent


def test_every_test_named_by_the_security_controls_exists():
    """docs/security.md maps each control to the test proving it: a renamed or removed test must not
    leave the map pointing at nothing."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    files = set(re.findall(r"`?(tests/[\w/]+\.py)", text))
    missing_files = sorted(f for f in files if not (ROOT / f).is_file())
    assert not missing_files, f"docs/security.md names missing test files: {missing_files}"
    defined = set()
    for path in (ROOT / "tests").rglob("*.py"):
        defined |= set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    named = set(re.findall(r"\b(test_\w+)\b(?!\.py)", text))
    named = {n for n in named if not (ROOT / "tests" / f"{n}.py").exists() and not n.endswith("_py")}
    assert len(named) > 50, "the pattern no longer finds the test names"
    assert not named - defined, f"docs/security.md names tests that do not exist: {sorted(named - defined)}"
