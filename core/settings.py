"""Process settings, read once from ``QUANYU_*`` environment variables.

Every field documents itself (``Meta(description=...)``) so the operators'
table of variables in ``docs/operating.md`` can be generated from this code.
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import msgspec
from msgspec import Meta

ENV_PREFIX = "QUANYU_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting, read from ``QUANYU_<NAME>`` variables; the descriptions are the settings table of
    deploy/README.md (``quanyu settings --markdown``, checked by tests/test_deploy.py)."""

    var_dir: Annotated[
        str,
        Meta(
            description="Folder for the embedded database, the generated secret and `demo-logins.txt`. Relative paths are resolved against the working directory."
        ),
    ] = "var"
    database_url: Annotated[
        str,
        Meta(
            description="Database for requests (the `app` role on PostgreSQL). Empty: SQLite file `<var_dir>/quanyu.db`."
        ),
    ] = ""
    database_owner_url: Annotated[
        str,
        Meta(
            description="The `owner` role. `quanyu db upgrade` connects with it. Empty: `QUANYU_DATABASE_URL` (SQLite only)."
        ),
    ] = ""
    database_system_url: Annotated[
        str,
        Meta(
            description="The `system` role (BYPASSRLS). Operator commands that span districts connect with it. Empty: `QUANYU_DATABASE_URL` (SQLite only)."
        ),
    ] = ""
    database_pool_size: Annotated[
        int,
        Meta(
            ge=1,
            description="Connections per process (PostgreSQL). The pool may overflow to twice this. The system engine, opened only when used, gets `max(2, pool/4)`.",
        ),
    ] = 10
    redis_url: Annotated[
        str,
        Meta(
            description="Redis for sessions and login rate limits, shared by every API process. Empty: sessions are kept in the database and rate limits in the process's memory (one process)."
        ),
    ] = ""
    secret_key: Annotated[
        str,
        Meta(
            description="URL-safe base64 master secret (32 random bytes) for field encryption and blind indexes. Empty: generated once into `<var_dir>/secret.key`."
        ),
    ] = ""
    old_secret_keys: Annotated[
        str, Meta(description="Comma-separated retired master secrets, still accepted for decryption.")
    ] = ""
    storage_url: Annotated[
        str,
        Meta(
            description="Where attachment bytes go. Empty: `<var_dir>/files/<district id>/…`. `file:///srv/quanyu-files` for another folder; `s3://BUCKET?endpoint_url=https://minio.internal:9000&region=cn-east-1` for S3-compatible object storage, with credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (or the host's role). Every object key starts with the district's id."
        ),
    ] = ""
    file_link_minutes: Annotated[
        int,
        Meta(
            ge=1,
            le=1440,
            description="How long a signed download link (`POST /api/v1/attachments/{id}/link`) stays valid.",
        ),
    ] = 10
    public_url: Annotated[
        str, Meta(description="The address users reach the platform at; links in emails start with it.")
    ] = "http://127.0.0.1:8000"
    smtp_url: Annotated[
        str,
        Meta(
            description="Mail server for email notifications: `smtp://user:password@host:587?starttls=true` or `smtps://user:password@host:465`. Empty: no email channel."
        ),
    ] = ""
    mail_from: Annotated[
        str,
        Meta(description="Sender of notification emails, e.g. `润州区党建平台 <noreply@dj.example.gov.cn>`."),
    ] = "quanyu@localhost"
    sms_adapter: Annotated[
        str,
        Meta(
            description="SMS provider adapter `package.module:Class` (docs/plugins/notifications.md); `fake` for tests. Empty: no SMS channel."
        ),
    ] = ""
    wechat_adapter: Annotated[str, Meta(description="WeChat template-message adapter, likewise.")] = ""
    host: Annotated[str, Meta(description="Address `quanyu serve` binds.")] = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535, description="Port `quanyu serve` binds.")] = 8000
    workers: Annotated[
        int,
        Meta(
            ge=1,
            le=64,
            description="API processes `quanyu serve` starts (uvicorn workers, restarted if one dies). About one per CPU core; each holds up to 2 x `QUANYU_DATABASE_POOL_SIZE` connections.",
        ),
    ] = 1
    forwarded_allow_ips: Annotated[
        str,
        Meta(
            description="Addresses of the reverse proxies whose `X-Forwarded-For`/`-Proto` headers are trusted (comma-separated, or `*` when only the proxy can reach the port). The client address in audit records and rate limits comes from there.",
        ),
    ] = "127.0.0.1"
    graceful_timeout: Annotated[
        int,
        Meta(
            ge=1,
            le=600,
            description="Seconds a stopping API process lets requests in flight finish before it closes them (keep it below the orchestrator's kill timeout).",
        ),
    ] = 30
    keep_alive_timeout: Annotated[
        int,
        Meta(
            ge=1,
            le=600,
            description="Seconds an idle keep-alive connection from the proxy stays open (above the proxy's own).",
        ),
    ] = 75
    max_concurrency: Annotated[
        int,
        Meta(
            ge=0,
            description="Requests and connections one API process takes at once before answering 503 (load shedding); 0: no limit.",
        ),
    ] = 0
    cookie_secure: Annotated[
        bool,
        Meta(
            description="Mark the session cookie `Secure` (sent over HTTPS only). Set `true` whenever users reach the API through HTTPS."
        ),
    ] = False
    argon2_time_cost: Annotated[int, Meta(ge=1, description="Argon2id iterations for password hashes.")] = 3
    argon2_memory_kib: Annotated[
        int,
        Meta(
            ge=8,
            description="Argon2id memory (KiB) per hash. Each login holds this much memory while it verifies. Existing hashes are re-hashed with new costs at the next successful login.",
        ),
    ] = 65536
    login_window_seconds: Annotated[
        int,
        Meta(
            ge=1,
            le=86400,
            description="The moving window the two login rate limits count attempts in. Past a limit, logins are answered 429 with `Retry-After` and the first refusal per window is audited.",
        ),
    ] = 300
    login_limit_per_account: Annotated[
        int,
        Meta(
            ge=0,
            description="Login attempts per district and username in the window, across all API processes when Redis is set (the district's lockout counts failed passwords besides). 0: no limit.",
        ),
    ] = 10
    login_limit_per_address: Annotated[
        int,
        Meta(
            ge=0,
            description="Login attempts per client address in the window, whatever the district (offices behind one NAT address share it). 0: no limit.",
        ),
    ] = 100
    embedded_worker: Annotated[
        bool,
        Meta(
            description="Run jobs and the scheduler inside each API process. Set `false` when `quanyu worker` and `quanyu scheduler` processes run them."
        ),
    ] = True
    job_lease_seconds: Annotated[
        int,
        Meta(
            ge=5,
            le=86400,
            description="Seconds a worker holds a job it took before another worker may take it again. A worker that dies mid-job (killed, or its host lost) delays that job by this much; a job still running keeps its row locked, so a shorter lease never runs it twice.",
        ),
    ] = 300
    metrics_token: Annotated[
        str,
        Meta(
            description="Bearer token Prometheus must send to read `/metrics` (`authorization: Bearer …` in its scrape config). Empty: `/metrics` is open, so keep it off the public proxy."
        ),
    ] = ""
    log_json: Annotated[
        bool,
        Meta(
            description="Write the server's log lines (uvicorn, SQLAlchemy, Quanyu) as one JSON object each."
        ),
    ] = False
    log_level: Annotated[str, Meta(description="Log level of the root logger and of uvicorn.")] = "INFO"
    debug: Annotated[
        bool, Meta(description="Litestar debug mode: tracebacks in responses. Never in production.")
    ] = False

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir).resolve()

    @property
    def app_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_path / 'quanyu.db'}"

    @property
    def owner_database_url(self) -> str:
        return self.database_owner_url or self.app_database_url

    @property
    def system_database_url(self) -> str:
        return self.database_system_url or self.app_database_url

    @property
    def is_sqlite(self) -> bool:
        return self.app_database_url.startswith("sqlite")

    def master_keys(self) -> list[bytes]:
        """The current master secret first, then retired ones."""
        current = self.secret_key or _local_secret(self.var_path)
        keys = [current] + [k.strip() for k in self.old_secret_keys.split(",") if k.strip()]
        return [base64.urlsafe_b64decode(k) for k in keys]


def _local_secret(var_path: Path) -> str:
    path = var_path / "secret.key"
    if not path.exists():
        var_path.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and linked into place, so two processes
        # starting together agree on one key and never read a half-written file.
        partial = var_path / f"secret.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``QUANYU_*`` variables; unknown ``QUANYU_`` names are refused."""
    environ = dict(os.environ if environ is None else environ)
    fields = {f.name for f in msgspec.structs.fields(Settings)}
    raw: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in fields:
            raw[key] = value
        elif key not in _NON_SETTING_VARIABLES:
            raise ValueError(f"unknown setting {name}; known: {', '.join(sorted(fields))}")
    return msgspec.convert(raw, Settings, strict=False)


# QUANYU_ variables read by tools other than the settings (tests, benchmarks).
_NON_SETTING_VARIABLES = {
    "test_database_url",
    "test_redis_url",
    "test_backends",
    "trace_hooks",
    "bench_quick",
    "bench_admin_url",
    "bench_redis_url",
    "bench_pg_settings",
    "bench_settle_seconds",
}


_override: Settings | None = None


@lru_cache(maxsize=1)
def _from_env() -> Settings:
    return settings_from_env()


def get_settings() -> Settings:
    return _override or _from_env()


def override_settings(settings: Settings | None) -> None:
    """Replace the process settings (tests and the CLI's options)."""
    global _override
    _override = settings


SECRET_SETTINGS = frozenset({"secret_key", "old_secret_keys", "metrics_token"})


def _shown_default(value: Any) -> str:
    if value == "":
        return "*(empty)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_markdown_table() -> str:
    """Every ``QUANYU_*`` variable with its default and meaning, as the Markdown table of deploy/README.md."""
    hints = get_type_hints(Settings, include_extras=True)
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for field in msgspec.structs.fields(Settings):
        metas = [m for m in getattr(hints[field.name], "__metadata__", ()) if isinstance(m, Meta)]
        description = next((m.description for m in metas if m.description), "")
        lines.append(f"| `QUANYU_{field.name.upper()}` | {_shown_default(field.default)} | {description} |")
    return "\n".join(lines) + "\n"
