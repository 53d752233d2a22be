"""HTTP comparisons: servers on a benchmark database, loaded by wrk, interleaved, summarised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench._common import (
    CONCURRENCY,
    LOAD_SECONDS,
    ROUNDS,
    WARMUP_SECONDS,
    Server,
    Spread,
    figure,
    interleaved,
    paired_ratio,
    platform_env,
    role_url,
    say,
    start_server,
    table,
    wrk,
)
from bench._fixtures import District


@dataclass(frozen=True)
class Target:
    """One side of a comparison: a URL and the bearer token to send (None: no auth)."""

    url: str
    token: str | None = None


def start_platform(database: str, name: str = "platform", **env: str) -> Server:
    return start_server(name, "core.web.app:create_app", platform_env(database, **env))


def start_bare(database: str, name: str = "bare") -> Server:
    env = platform_env(database)
    env["BENCH_BARE_DATABASE_URL"] = role_url("system", database)
    return start_server(name, "bench.bare_app:create_app", env, ready_path="/health")


def bare_people_url(server: Server, district: District, limit: int = 50) -> str:
    return f"{server.url}/people?tenant_id={district.tenant_id}&node_id={district.street_id}&limit={limit}"


def fetch_json(target: Target) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
    response = httpx.get(target.url, headers=headers, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"GET {target.url}: {response.status_code} {response.text[:500]}")
    return response.json()


def same_people(targets: dict[str, Target]) -> int:
    """Check every side answers the same page (same total, same ids in the same order); the total."""
    pages = {side: fetch_json(target) for side, target in targets.items()}
    first_side, first = next(iter(pages.items()))
    for side, page in pages.items():
        if page["total"] != first["total"] or [p["id"] for p in page["items"]] != [
            p["id"] for p in first["items"]
        ]:
            raise RuntimeError(f"{side} and {first_side} answer different pages")
    return int(first["total"])


def compare(
    targets: dict[str, Target],
    rounds: int = ROUNDS,
    *,
    before_each: Callable[[str], None] | None = None,
    connections: int = CONCURRENCY,
) -> dict[str, list[dict[str, float]]]:
    """Warm every side up, then load each side in turn, ``rounds`` times, alternating the order.

    ``before_each(side)`` prepares the state a side needs (then a one-second warm-up, untimed).
    """
    for side, target in targets.items():
        say(f"warming up {side}")
        if before_each is not None:
            before_each(side)
        wrk(target.url, token=target.token, seconds=WARMUP_SECONDS, connections=connections)
    say(f"{rounds} rounds x {len(targets)} sides x {LOAD_SECONDS}s, {connections} connections")

    def one(side: str, number: int) -> dict[str, float]:
        target = targets[side]
        if before_each is not None:
            before_each(side)
            wrk(target.url, token=target.token, seconds=1, connections=connections)
        result = wrk(target.url, token=target.token, connections=connections)
        say(
            f"round {number + 1} {side}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
        )
        return result

    return interleaved(rounds, list(targets), one)


def summary(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Spread]]:
    return {
        side: {key: figure(rows, key) for key in ("rps", "p50_ms", "p90_ms", "p99_ms")}
        for side, rows in results.items()
    }


def print_sides(results: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, Spread]]:
    summarised = summary(results)
    table(
        ["side", "req/s (median)", "req/s min..max", "p50 ms", "p99 ms", "p99 min..max"],
        [
            [
                side,
                s["rps"].median,
                f"{s['rps'].low:.0f}..{s['rps'].high:.0f}",
                s["p50_ms"].median,
                s["p99_ms"].median,
                f"{s['p99_ms'].low:.1f}..{s['p99_ms'].high:.1f}",
            ]
            for side, s in summarised.items()
        ],
    )
    return summarised


def ratio(results: dict[str, list[dict[str, float]]], top: str, bottom: str) -> Spread:
    return paired_ratio(results[top], results[bottom], "rps")


def plugins(base_url: str, admin_token: str) -> list[dict[str, Any]]:
    """The installed plugins as the district sees them (slug, requires, enabled)."""
    import httpx

    response = httpx.get(
        f"{base_url}/api/v1/plugins", headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    )
    response.raise_for_status()
    return list(response.json())


def _requirements_first(installed: list[dict[str, Any]]) -> list[str]:
    by_slug = {p["slug"]: p for p in installed}
    ordered: list[str] = []

    def visit(slug: str) -> None:
        if slug in ordered or slug not in by_slug:
            return
        for required in sorted(by_slug[slug].get("requires") or {}):
            visit(required)
        ordered.append(slug)

    for slug in sorted(by_slug):
        visit(slug)
    return ordered


def set_plugins(base_url: str, admin_token: str, *, enabled: bool) -> list[str]:
    """Enable (requirements first) or disable (dependants first) every installed plugin, through the API."""
    import httpx

    installed = plugins(base_url, admin_token)
    order = _requirements_first(installed)
    if not enabled:
        order.reverse()
    state = {p["slug"]: p["enabled"] for p in installed}
    for slug in order:
        if state[slug] == enabled:
            continue
        response = httpx.post(
            f"{base_url}/api/v1/plugins/{slug}/{'enable' if enabled else 'disable'}",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=30,
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"{'enabling' if enabled else 'disabling'} {slug}: {response.status_code} {response.text}"
            )
    now = [p["slug"] for p in plugins(base_url, admin_token) if p["enabled"]]
    if (len(now) == len(installed)) != enabled or (not enabled and now):
        raise RuntimeError(f"plugins enabled after the change: {now}")
    return now
