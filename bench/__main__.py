"""Run every benchmark module in this package (or those named on the command line), then a summary.

``python -m bench`` runs them all (``make bench``); ``python -m bench NAME ...``
runs some. ``QUANYU_BENCH_QUICK=1`` runs fewer rounds on a smaller bulk for a
fast check. Figures are printed and written to ``var/bench/<name>.json``;
the summary of all that ran to ``var/bench/summary.json``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The order (measures 1-8, then the profile), then the older SQLite-side checks.
ORDER = (
    "platform_overhead",
    "plugin_count",
    "tenant_count",
    "tree_scaling",
    "bulk_import",
    "jobs_throughput",
    "dashboard",
    "asyncpg_ceiling",
    "profile_endpoint",
    "subtree_query",
    "demo_generation",
    "whatif",
)


def discover() -> dict[str, Callable[[], object]]:
    """Every module with ``run()``; those with ``DEFAULT = False`` run only when named."""
    found: dict[str, Callable[[], object]] = {}
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).resolve().parent)])]
    ranked = sorted(names, key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
    for name in ranked:
        if name.startswith("_") or name == "bare_app":
            continue
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if callable(run):
            found[name] = run
            if not getattr(module, "DEFAULT", True):
                _optional.add(name)
    return found


_optional: set[str] = set()


def main(argv: list[str]) -> int:
    from bench._common import MODE, OUT_DIR, ROOT, Result, background_load, machine, table

    benchmarks = discover()
    unknown = [name for name in argv if name not in benchmarks]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(benchmarks)}", file=sys.stderr
        )
        return 2
    info = machine()
    print(
        f"Quanyu benchmarks, {MODE} mode ({'QUANYU_BENCH_QUICK=1' if MODE == 'quick' else 'QUANYU_BENCH_QUICK=1 for a fast check'})\n"
        f"machine: {info['cores']} cores ({info['cpu']}), {info['memory_gib']} GiB; {info['postgresql']}; "
        f"{info['redis'].split(' sha=')[0]}; Python {info['python']}\n"
        f"other processes were using {background_load():.2f} of {info['cores']} cores when the run began\n"
    )
    results: list[Result] = []
    timings: dict[str, float] = {}
    began = time.perf_counter()
    for name in argv or [n for n in benchmarks if n not in _optional]:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        outcome = benchmarks[name]()
        timings[name] = time.perf_counter() - started
        if isinstance(outcome, Result):
            results.append(outcome)
        print(f"   ({timings[name]:.2f} s)\n", flush=True)
    total = time.perf_counter() - began
    if results:
        print(f"== summary ({MODE} mode, {total / 60:.1f} min)")
        table(["figure", "value", "goal"], [row for r in results for row in r.figures])
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        summary = OUT_DIR / "summary.json"
        # Merge: a run of some benchmarks updates their entries and keeps the others' latest figures.
        try:
            previous = json.loads(summary.read_text())
        except (OSError, ValueError):
            previous = {}
        finished = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        entries = dict(previous.get("benchmarks", {}))
        for r in results:
            entries[r.name] = {
                "mode": MODE,
                "finished_at": finished,
                "seconds": round(timings[r.name], 1),
                "code": info["code"],
                "figures": r.figures,
            }
        summary.write_text(
            json.dumps({"machine": info, "benchmarks": entries}, indent=2, ensure_ascii=False) + "\n"
        )
        print(f"   -> {summary.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
