"""行动支部联组 Action branches (mechanism 6): placeholder manifest until the plugin lands."""

from __future__ import annotations

from core.api import Manifest, hookimpl

__version__ = "0.1.0"


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="action_branches", number=6, pillar="organisation", name_zh="行动支部联组", name_en="Action branches", version=__version__)
