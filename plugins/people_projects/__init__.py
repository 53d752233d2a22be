"""为民项目联认 Projects for the people (mechanism 15): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="people_projects", number=15, pillar="resource", name_zh="为民项目联认", name_en="Projects for the people", version=__version__)
