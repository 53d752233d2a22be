"""Run every benchmark module in this package (or those named on the command line)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Callable
from pathlib import Path


def discover() -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {}
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).resolve().parent)]), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        run = getattr(importlib.import_module(f"bench.{module.name}"), "run", None)
        if callable(run):
            found[module.name] = run
    return found


def main(argv: list[str]) -> int:
    benchmarks = discover()
    unknown = [name for name in argv if name not in benchmarks]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(benchmarks)}", file=sys.stderr
        )
        return 2
    for name in argv or list(benchmarks):
        print(f"== {name}")
        started = time.perf_counter()
        benchmarks[name]()
        print(f"   ({time.perf_counter() - started:.2f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
