"""星火计划联育 Spark plan (mechanism 5): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="spark_incubation", number=5, pillar="organisation", name_zh="星火计划联育", name_en="Spark plan", version=__version__)
