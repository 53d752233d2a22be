"""``quanyu plugin new``: a new plugin package to start from, with the rooms every mechanism has.

The templates under ``template/`` are ``string.Template`` files (``${name}``
placeholders, ``$$`` for a dollar); ``__package__`` and ``__slug__`` in their
paths become the import package and the slug. What comes out is a complete,
tested plugin: a tenant-scoped table with its migration, a scoped, audited
list-and-add API, messages, isolation examples, a pytest suite on the core's
fixtures, and a ``pyproject.toml`` whose entry point makes pip-installing it
enough for the platform to find it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import string
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from core.plugins.manifest import SLUG_PATTERN

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
TEMPLATE_SUFFIX = ".tmpl"
NAME_MAX = 60
SCAFFOLD_SLUG_MAX = 32 - len("_0001")


class ScaffoldError(ValueError):
    """The plugin cannot be created as asked; the message says what to change."""


@dataclass(frozen=True)
class PluginNames:
    """Every name the new package derives from its slug."""

    slug: str
    name_zh: str
    name_en: str

    @property
    def package(self) -> str:
        return f"quanyu_{self.slug}"

    @property
    def distribution(self) -> str:
        return f"quanyu-{self.slug.replace('_', '-')}"

    @property
    def display_name(self) -> str:
        return self.name_en if self.name_zh == self.name_en else f"{self.name_en} ({self.name_zh})"

    @property
    def table(self) -> str:
        return f"{self.slug}_item"


def plugin_names(slug: str, *, name_zh: str | None = None, name_en: str | None = None) -> PluginNames:
    """Check ``slug`` and the display names; the English name defaults to the slug in words."""
    if not re.match(SLUG_PATTERN, slug):
        raise ScaffoldError(
            f"{slug!r} is not a plugin name: use 2 to 40 lower-case letters, digits and underscores, "
            "starting with a letter (e.g. co_building)"
        )
    if len(slug) > SCAFFOLD_SLUG_MAX:
        # Migration ids are "<slug>_0001"; Alembic's version column holds 32 characters.
        raise ScaffoldError(
            f"{slug!r} is too long for a new plugin: use at most {SCAFFOLD_SLUG_MAX} characters, "
            f"so its migration ids ({slug}_0001) fit Alembic's 32-character version column"
        )
    english = name_en if name_en is not None else slug.replace("_", " ").capitalize()
    chinese = name_zh if name_zh is not None else english
    for option, value in (("--name-zh", chinese), ("--name-en", english)):
        if (
            not value.strip()
            or len(value) > NAME_MAX
            or any(not ch.isprintable() or ch in '"\\`' for ch in value)
        ):
            raise ScaffoldError(
                f"{option} must be 1 to {NAME_MAX} printable characters on one line, "
                "without double quotes, backslashes or backticks"
            )
    return PluginNames(slug, chinese.strip(), english.strip())


def _core_version() -> str:
    try:
        major, minor, *_rest = version("quanyu").split(".")
    except (PackageNotFoundError, ValueError):
        return "0.1"
    return f"{major}.{minor}"


def render(names: PluginNames) -> dict[Path, str]:
    """The new package's files: relative path → text."""
    values = {
        "slug": names.slug,
        "package": names.package,
        "distribution": names.distribution,
        "wheel_name": names.distribution.replace("-", "_"),
        "table": names.table,
        "name_en": names.name_en,
        "display_name": names.display_name,
        # Names hold no quote or backslash, so a JSON string is a valid Python and TOML literal.
        "name_zh_literal": json.dumps(names.name_zh, ensure_ascii=False),
        "name_en_literal": json.dumps(names.name_en, ensure_ascii=False),
        "description_literal": json.dumps(f"{names.display_name}: a Quanyu mechanism", ensure_ascii=False),
        "core_version": _core_version(),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    files: dict[Path, str] = {}
    for source in sorted(TEMPLATE_DIR.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = source.relative_to(TEMPLATE_DIR).as_posix()[: -len(TEMPLATE_SUFFIX)]
        relative = relative.replace("__package__", names.package).replace("__slug__", names.slug)
        text = string.Template(source.read_text(encoding="utf-8")).substitute(values)
        files[Path(relative)] = text
    return files


def new_plugin(slug: str, parent: Path, *, name_zh: str | None = None, name_en: str | None = None) -> Path:
    """Write the package ``quanyu-<slug>`` under ``parent`` and return its directory.

    Refuses a directory that exists already; writes everything or nothing.
    """
    names = plugin_names(slug, name_zh=name_zh, name_en=name_en)
    target = parent / names.distribution
    if target.exists():
        raise ScaffoldError(f"{target} already exists; remove it or choose another --dir")
    files = render(names)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target, then renamed: an interrupted run leaves no half-made package.
        staging = parent / f".{names.distribution}.{secrets.token_hex(4)}.tmp"
        staging.mkdir()
    except OSError as exc:
        raise ScaffoldError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScaffoldError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
