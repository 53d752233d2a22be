"""What a plugin hands the console (``quanyu_console_pages``): its page handlers, menu entries, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ConsoleNav:
    """A menu entry: ``path`` below the plugin's console root ``/t/<tenant>/console/m/<slug>``."""

    path: str
    label_zh: str
    label_en: str
    permission: str | None = None


@dataclass(frozen=True)
class ConsolePages:
    """A plugin's console: Litestar handlers mounted under ``/t/{tenant}/console/m/<slug>`` (hidden, 404,
    for districts that have not enabled it), its menu entries, and the folder of its Jinja templates
    (named ``<slug>/…html``; they extend ``console/base.html``)."""

    handlers: list[Any] = field(default_factory=list)
    nav: list[ConsoleNav] = field(default_factory=list)
    templates: Path | None = None
