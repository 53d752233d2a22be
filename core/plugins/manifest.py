"""What a plugin declares about itself: one ``Manifest``, returned by its ``quanyu_manifest`` hook."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# The version of ``core.api`` (the plugin-facing surface); a plugin states the range it supports.
CORE_API_VERSION = "1.0"

Pillar = Literal["political", "organisation", "venue", "team", "resource", "governance", "other"]
PILLARS: dict[str, tuple[str, str]] = {
    "political": ("政治统领", "Political leadership"),
    "organisation": ("组织统联", "Organisational linkage"),
    "venue": ("阵地统建", "Venues"),
    "team": ("队伍统管", "People"),
    "resource": ("资源统用", "Resources"),
    "governance": ("治理统抓", "Governance"),
    "other": ("其他", "Other"),
}
SLUG_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class NoConfig(msgspec.Struct, forbid_unknown_fields=True):
    """The configuration of a plugin that has none."""


class PluginPermission(msgspec.Struct, frozen=True, kw_only=True):
    """A permission a plugin adds, and the built-in roles that hold it by default."""

    key: str
    description_zh: str
    description_en: str
    duty: Literal["system", "security", "audit"] | None = None
    default_roles: tuple[str, ...] = ()


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """A plugin at a glance (the Decidim-style module manifest).

    ``requires`` maps other plugins' slugs to version ranges (PEP 440
    specifiers such as ``">=1.0,<2"``); ``core_api`` is the range of
    ``core.api`` versions the plugin supports; ``config`` is a msgspec
    struct whose defaults are the configuration of a newly enabled plugin.
    """

    slug: Annotated[str, Meta(pattern=SLUG_PATTERN)]
    name_zh: str
    name_en: str
    version: str
    pillar: Pillar = "other"
    number: Annotated[int, Meta(ge=1, le=18)] | None = None
    description_zh: str = ""
    description_en: str = ""
    requires: dict[str, str] = msgspec.field(default_factory=dict)
    core_api: str = ">=1.0,<2"
    permissions: tuple[PluginPermission, ...] = ()
    config: type[Any] = NoConfig

    @property
    def permission_prefix(self) -> str:
        return f"{self.slug}."


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the plugin and the field."""


def check_manifest(manifest: Manifest) -> None:
    where = f"plugin {manifest.slug!r}"
    if not re.match(SLUG_PATTERN, manifest.slug):
        raise ManifestError(f"{where}: slug must match {SLUG_PATTERN}")
    try:
        Version(manifest.version)
    except InvalidVersion:
        raise ManifestError(f"{where}: version {manifest.version!r} is not a PEP 440 version") from None
    for field, spec in [
        ("core_api", manifest.core_api),
        *((f"requires.{k}", v) for k, v in manifest.requires.items()),
    ]:
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            raise ManifestError(f"{where}: {field} {spec!r} is not a version range") from None
    if not SpecifierSet(manifest.core_api).contains(CORE_API_VERSION):
        raise ManifestError(
            f"{where}: supports core API {manifest.core_api}, this core provides {CORE_API_VERSION}"
        )
    if not (isinstance(manifest.config, type) and issubclass(manifest.config, msgspec.Struct)):
        raise ManifestError(f"{where}: config must be a msgspec.Struct class")
    try:
        msgspec.convert({}, manifest.config)
    except msgspec.ValidationError as exc:
        raise ManifestError(f"{where}: every config field needs a default ({exc})") from None
    for permission in manifest.permissions:
        if not permission.key.startswith(manifest.permission_prefix):
            raise ManifestError(
                f"{where}: permission {permission.key!r} must start with {manifest.permission_prefix!r}"
            )
