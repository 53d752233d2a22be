"""示范片区联建 Demonstration zones (1+X) (mechanism 4): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="model_zones", number=4, pillar="organisation", name_zh="示范片区联建", name_en="Demonstration zones (1+X)", version=__version__)
