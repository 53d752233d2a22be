"""``quanyu`` with the drill's plugin registered: every drill process (API, worker, scheduler, commands)
starts through this, so all of them know the drill job and table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import drill_plugin

from core.plugins.host import get_host

get_host().register(drill_plugin, source="deploy/drill/drill_plugin.py")

from core.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
