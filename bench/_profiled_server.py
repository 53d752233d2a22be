"""An ASGI app factory that wraps another one and profiles its process with pyinstrument on demand.

``uvicorn --factory bench._profiled_server:create_app`` with
``BENCH_PROFILE_APP=module:factory`` (the app to serve) and
``BENCH_PROFILE_OUT=/path/prefix``. SIGUSR1 starts the sampling profiler,
SIGUSR2 stops it and writes ``<prefix>.txt`` (the call tree), ``<prefix>.json``
(seconds in the platform's main steps, self time by library), with
``BENCH_PROFILE_HTML=1`` also ``<prefix>.html`` (large: tens of MB), then
``<prefix>.done``. Everything the process does in between is sampled: the
event loop, the handlers, the database driver.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
from pathlib import Path
from typing import Any

INTERVAL = 0.001

# Inclusive time of these functions (module path suffix, function name), per request.
STEPS = {
    "auth: session, principal (middleware)": ("core/web/middleware.py", "authenticate_request"),
    "  load_principal (tenant, user, grants)": ("core/auth/principal.py", "load_principal"),
    "  resolve_session (Redis)": ("core/auth/sessions.py", "resolve_session"),
    "handler list_people": ("core/people/routes.py", "list_people"),
    "  node_in_scope": ("core/auth/scope.py", "node_in_scope"),
    "  contact_cutoff": ("core/people/services.py", "contact_cutoff"),
    "  paginate (count + page)": ("core/web/schemas.py", "paginate"),
    "  node_names": ("core/people/services.py", "node_names"),
    "  person_out x50": ("core/people/services.py", "person_out"),
    "    crypto.decrypt x100": ("core/crypto.py", "decrypt"),
    "commit (provide_db)": ("core/web/deps.py", "provide_db"),
    "bare handler": ("bench/bare_app.py", "people"),
}
LIBRARIES = (
    ("sqlalchemy", "/sqlalchemy/"),
    ("asyncpg", "/asyncpg/"),
    ("litestar", "/litestar/"),
    ("cryptography", "/cryptography/"),
    ("redis", "/redis/"),
    ("uvicorn", "/uvicorn/"),
    ("quanyu core", "/core/"),
    ("bench (bare app)", "/bench/"),
    ("msgspec", "/msgspec/"),
    ("asyncio", "/asyncio/"),
)


def _walk(frame: Any) -> Any:
    yield frame
    for child in frame.children:
        yield from _walk(child)


def _descend_to_fork(frame: Any) -> Any:
    """The first frame with more than one child (the thread's frame, below any single-child stem)."""
    while len(frame.children) == 1:
        frame = frame.children[0]
    return frame


def analyse(root: Any) -> dict[str, Any]:
    """Seconds spent in each of STEPS (inclusive) and share of self time per library, from a profile tree."""
    if root is None:
        return {}
    total = root.time
    steps: dict[str, float] = {}

    def inclusive(frame: Any, suffix: str, function: str) -> float:
        if frame.function == function and (frame.file_path or "").endswith(suffix):
            return float(frame.time)
        return sum(inclusive(child, suffix, function) for child in frame.children)

    for label, (suffix, function) in STEPS.items():
        found = inclusive(root, suffix, function)
        if found:
            steps[label] = found
    # SQLAlchemy runs the ORM's synchronous part (compiling, executing, building objects) in greenlets,
    # which the profiler shows beside the request's stack rather than inside it.
    greenlets = sum(
        float(child.time)
        for child in _descend_to_fork(root).children
        if "/sqlalchemy/" in (child.file_path or "")
    )
    if greenlets:
        steps["SQLAlchemy ORM in greenlets (compile, execute, load)"] = greenlets
    by_library: dict[str, float] = {}
    for frame in _walk(root):
        if frame.is_synthetic:
            continue
        path = frame.file_path or ""
        library = next((name for name, marker in LIBRARIES if marker in path), None)
        if library is None:
            stdlib = "site-packages" not in path and ("/lib/python3" in path or path.startswith("<frozen"))
            library = "python stdlib (pathlib, ...)" if stdlib else "other (event loop, idle, C code)"
        by_library[library] = by_library.get(library, 0.0) + float(frame.total_self_time)
    return {
        "sampled_seconds": total,
        "steps_seconds": steps,
        "self_time_share": {k: v / total for k, v in sorted(by_library.items(), key=lambda kv: -kv[1])},
    }


def create_app() -> Any:
    from pyinstrument import Profiler

    module_name, _, factory_name = os.environ["BENCH_PROFILE_APP"].partition(":")
    app = getattr(importlib.import_module(module_name), factory_name)()
    out = Path(os.environ["BENCH_PROFILE_OUT"])
    state: dict[str, Any] = {}

    def start(_signum: int, _frame: Any) -> None:
        profiler = Profiler(interval=INTERVAL, async_mode="disabled")
        profiler.start()
        state["profiler"] = profiler

    def stop(_signum: int, _frame: Any) -> None:
        profiler = state.pop("profiler", None)
        if profiler is None:
            return
        session = profiler.stop()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        if os.environ.get("BENCH_PROFILE_HTML"):
            out.with_suffix(".html").write_text(profiler.output_html())
        out.with_suffix(".json").write_text(json.dumps(analyse(session.root_frame()), indent=2))
        out.with_suffix(".done").write_text("done\n")

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return app
