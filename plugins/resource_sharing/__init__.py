"""区域载体联享 Shared resources (mechanism 13): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="resource_sharing", number=13, pillar="resource", name_zh="区域载体联享", name_en="Shared resources", version=__version__)
