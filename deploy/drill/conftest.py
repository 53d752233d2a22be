"""The drill's modules (``cluster``, ``drill_plugin``) import each other by name, as ``launch.py`` does."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
