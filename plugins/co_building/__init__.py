"""组织共建联席 Co-building agreements (mechanism 3): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="co_building", number=3, pillar="organisation", name_zh="组织共建联席", name_en="Co-building agreements", version=__version__)
