"""Demo generation: the full Runzhou spec against the same spec at a tenth of the size.

Both run in the same process, interleaved, so machine noise hits them alike;
the ratio of time per person shows whether generation stays linear (about
1.0) or picks up a super-linear cost as the district grows.
"""

from __future__ import annotations

import time
from pathlib import Path

import msgspec

from core.demo.generator import DemoSpec, generate, load_spec

TENANT_FILE = Path(__file__).resolve().parent.parent / "tenants" / "runzhou.toml"
ROUNDS = 5


def scaled(spec: DemoSpec, factor: int) -> DemoSpec:
    """The same district with ``1/factor`` of the branches and members (structure unchanged)."""
    return msgspec.structs.replace(spec, branches=spec.branches // factor, members=spec.members // factor)


def timed(spec: DemoSpec) -> tuple[float, int, int]:
    started = time.perf_counter()
    plan = generate(spec)
    return time.perf_counter() - started, len(plan.people), len(plan.nodes)


def run() -> None:
    full = load_spec(TENANT_FILE)
    cases = {"baseline (1/10 members)": scaled(full, 10), "full spec": full}
    best: dict[str, tuple[float, int, int]] = {}
    for _ in range(ROUNDS):
        for label, spec in cases.items():
            result = timed(spec)
            if label not in best or result[0] < best[label][0]:
                best[label] = result
    base_seconds, base_people, _ = best["baseline (1/10 members)"]
    base_per_person = base_seconds / base_people
    print(f"   best of {ROUNDS} rounds")
    print(f"   {'case':<24} {'people':>7} {'nodes':>6} {'ms':>8} {'us/person':>10} {'ratio':>6}")
    for label, (seconds, people, nodes) in best.items():
        per_person = seconds / people
        print(
            f"   {label:<24} {people:>7} {nodes:>6} {seconds * 1000:>8.1f} "
            f"{per_person * 1e6:>10.2f} {per_person / base_per_person:>6.2f}"
        )
