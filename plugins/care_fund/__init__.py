"""关爱基金联筹 Care fund (mechanism 14): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="care_fund", number=14, pillar="resource", name_zh="关爱基金联筹", name_en="Care fund", version=__version__)
