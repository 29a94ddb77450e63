"""Settings: built once from ``BATCHTASK_*`` environment variables, validated, then frozen.

CLI flags override the environment (the CLI builds the mapping it passes in). Every problem is
reported at once, with the variable's name, so a misconfigured server never starts half-way.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

PREFIX = "BATCHTASK_"
_ORIGIN = re.compile(r"https?://[^/\s?#]+/?", re.IGNORECASE)

T = TypeVar("T")


class SettingsError(ValueError):
    """One or more settings are invalid; the message lists each."""


def default_database_url() -> str:
    """A SQLite file in the user's data directory (created on first use)."""
    from platformdirs import user_data_dir  # noqa: PLC0415 - only needed when no URL is given

    return f"sqlite:///{Path(user_data_dir('batchtask')) / 'batchtask.db'}"


@dataclass(frozen=True)
class Secret:
    """A string that never shows itself in ``repr`` or logs."""

    value: str

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"


@dataclass(frozen=True)
class Settings:
    """Every knob of the server, worker and CLI."""

    database_url: str = field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = 8000
    #: API processes of ``serve`` (granian workers); each runs its own embedded worker.
    http_workers: int = 1
    #: Folder where several API processes share their metrics (``serve`` makes one per run).
    metrics_dir: str = ""
    #: The tenant segment accepted in ``/{ContextIdentifier}/api/v1/...``.
    context_identifier: str = "Cust00000"
    #: ``DatabaseSerialNumber`` (dbTag) given to new tasks.
    database_serial_number: str = "0000000"
    #: Base time zone of stored local times (SO code or IANA name).
    base_timezone: str = "UTC"
    log_level: str = "info"
    #: ``text`` (human) or ``json`` (one object a line, SPEC §10.3).
    log_format: str = "text"

    # authentication
    basic_auth: bool = True
    ticket_lifetime: int = 6 * 3600
    token_lifetime: int = 3600
    #: Registered SO-AppTokens; when any is set the server runs in "online mode".
    app_tokens: tuple[Secret, ...] = ()
    jwt_issuer: str = ""
    jwt_audience: str = ""
    #: JWKS as a file path or URL; JWT validation is on when issuer, audience and JWKS are set.
    jwt_jwks: str = ""
    jwt_algorithms: tuple[str, ...] = ("RS256",)
    jwt_leeway: int = 30
    #: Claim that names the user.
    jwt_username_claim: str = "sub"
    #: Claim naming the tenant a token is for (SuperOffice's ``…/identity/ctx``): a token naming
    #: another tenant is 401; one without it is accepted by the default tenant only.
    jwt_tenant_claim: str = "http://schemes.superoffice.net/identity/ctx"
    cookie_secure: bool = True
    #: Seconds a verified Basic credential is remembered (per process).
    basic_cache_ttl: float = 60.0
    #: Seconds a verified ticket/token/session is trusted before it is re-read from the database.
    credential_cache_ttl: float = 1.0
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19456
    argon2_parallelism: int = 1

    # login throttling
    throttle_window: int = 900
    #: Failures allowed per (username, address) before exponential back-off starts.
    throttle_free_failures: int = 5
    throttle_max_block: int = 900
    #: Failures per client address (any usernames) in a window before the address is blocked.
    throttle_address_limit: int = 50
    #: Attempts per username from addresses it never logged in from, as a burst (see below).
    throttle_username_limit: int = 100
    #: Once the burst is spent, one such attempt per this many seconds (a rate, not a lockout).
    throttle_username_interval: int = 60
    #: Seconds a successful password login keeps its address "known" for that user.
    throttle_known_address: int = 30 * 24 * 3600

    # requests
    body_limit: int = 1024 * 1024
    #: Bytes (UTF-8) the keys and values of one task's ParameterObject may take together.
    parameter_object_limit: int = 64 * 1024
    #: Connections one server process holds; idle ones beyond it are refused with a 503.
    http_max_connections: int = 1024
    #: Seconds a connection may stay open without a request in flight (before its first byte,
    #: between keep-alive requests, after an answer).
    http_idle_timeout: float = 10.0
    #: Seconds a client has to send a request's whole header block.
    http_header_timeout: float = 10.0
    #: Bytes a request's line and header block may take (beyond: 431, connection closed).
    http_header_limit: int = 64 * 1024
    #: Seconds a client has to send a request's whole body (after its headers).
    http_body_timeout: float = 30.0
    sqlite_synchronous: str = "FULL"
    pg_pool_size: int = 10

    # pages on other origins (CORS: SuperOffice's CORSEnable and CORSOrigin)
    #: Answer CORS preflights and label answers for the origins below (nothing without origins).
    cors_enable: bool = True
    #: Origins (``scheme://host[:port]``) whose pages may call the API, separated by spaces or
    #: commas; ``*`` lets any origin read, without credentials.
    cors_origins: tuple[str, ...] = ()

    # runtime
    worker: bool = True
    concurrency: int = 4
    lease: float = 30.0
    heartbeat: float = 10.0
    #: Seconds between looks for due tasks and stop requests when nothing is pushed (SQLite).
    poll_interval: float = 0.5
    #: Seconds a stopped or timed-out handler gets to return before it is interrupted.
    cancel_grace: float = 10.0
    #: Seconds running tasks get to finish after SIGTERM before they are released.
    shutdown_grace: float = 10.0
    #: Share of a worker's slots one plain user may hold at once (1 = no limit); the rest stay
    #: free for other users. System tasks (AssociateId 0) are not capped.
    owner_share: float = 0.5
    #: Seconds a built-in task (sleep, export, http, retention) may run when its definition sets
    #: no timeout of its own; 0 = no limit.
    builtin_timeout: float = 3600.0
    #: Folder of the files tasks write (``FileName``); empty = ``files/`` beside the SQLite file,
    #: else in the user's data directory.
    files_dir: str = ""
    #: Modules whose ``@definition`` handlers workers run, besides installed plug-ins.
    handlers: tuple[str, ...] = ()
    #: URL prefixes ``batchtask.http`` may POST to; empty = none.
    http_allow: tuple[str, ...] = ()
    #: Seconds finished tasks are kept before retention deletes them; 0 = kept forever.
    retention_succeeded: int = 0
    retention_failed: int = 0
    #: Seconds between retention runs.
    retention_interval: int = 3600

    # console and live stream
    #: Events a stream subscriber may fall behind before it is dropped (it reconnects and resumes).
    stream_queue: int = 1000
    #: Seconds between looks at the change log when nothing is pushed (SQLite).
    stream_poll_interval: float = 0.1
    #: ``batchtask worker``'s own ``/metrics`` port; 0 = none.
    metrics_port: int = 0

    # emulator controls (SPEC §11.2; ``serve --emulator``)
    #: Serve ``/_batchtask/…``: tenants, seed, clock, scripts, faults, journal. Off by default.
    emulator: bool = False
    #: Required in ``X-Batchtask-Emulator-Token`` by every control call when set; needed to
    #: bind the emulator to an address other than loopback.
    emulator_token: Secret = field(default_factory=lambda: Secret(""))

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise SettingsError("; ".join(problems))

    @property
    def online_mode(self) -> bool:
        """SOTicket and Bearer requests must carry a registered SO-AppToken."""
        return bool(self.app_tokens)

    @property
    def files_path(self) -> Path:
        """Where tasks write their files."""
        if self.files_dir:
            return Path(self.files_dir)
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url[len("sqlite:///") :]).parent / "files"
        from platformdirs import user_data_dir  # noqa: PLC0415 - only needed without a file

        return Path(user_data_dir("batchtask")) / "files"

    @property
    def http_accept_limit(self) -> int:
        """Connections granian accepts at most: the cap plus room to accept some only to refuse
        them with a clear 503 (beyond this, new connections wait in the kernel's queue)."""
        return self.http_max_connections + max(64, self.http_max_connections // 4)

    @property
    def jwt_enabled(self) -> bool:
        """Bearer JWTs are validated against the configured issuer."""
        return bool(self.jwt_issuer and self.jwt_audience and self.jwt_jwks)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``BATCHTASK_*`` variables; keyword overrides win (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in fields(cls):
            name = PREFIX + spec.name.upper()
            if spec.name in overrides and overrides[spec.name] is not None:
                values[spec.name] = overrides[spec.name]
                continue
            if name not in env:
                continue
            raw = env[name]
            try:
                values[spec.name] = _PARSERS[spec.name](raw)
            except ValueError as exc:
                problems.append(f"{name}={raw!r}: {exc}")
        unknown = sorted(
            key
            for key in env
            if key.startswith(PREFIX)
            and key[len(PREFIX) :].lower() not in {spec.name for spec in fields(cls)}
        )
        problems.extend(f"{key}: unknown setting" for key in unknown)
        if problems:
            raise SettingsError("; ".join(problems))
        try:
            return cls(**values)
        except SettingsError as exc:
            raise SettingsError(str(exc)) from None


def _bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _int(raw: str) -> int:
    return int(raw.strip())


def _float(raw: str) -> float:
    value = float(raw.strip())
    if value != value:  # NaN  # noqa: PLR0124
        raise ValueError("not a number")
    return value


def _str(raw: str) -> str:
    return raw.strip()


def _tuple(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _words(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.replace(",", " ").split() if part)


def _secrets(raw: str) -> tuple[Secret, ...]:
    return tuple(Secret(part) for part in _tuple(raw))


def _parser_for(annotation: str) -> Callable[[str], Any]:
    return {
        "bool": _bool,
        "int": _int,
        "float": _float,
        "str": _str,
        "tuple[str, ...]": _tuple,
        "tuple[Secret, ...]": _secrets,
        "Secret": lambda raw: Secret(raw.strip()),
    }[annotation]


_PARSERS: dict[str, Callable[[str], Any]] = {
    spec.name: _parser_for(str(spec.type)) for spec in fields(Settings)
}
_PARSERS["cors_origins"] = _words  # SuperOffice's CORSOrigin is space-separated


def _connection_problems(settings: Settings, need: Callable[[bool, str, str], None]) -> None:
    need(settings.http_max_connections >= 16, "http_max_connections", "must be at least 16")
    need(settings.http_idle_timeout >= 1, "http_idle_timeout", "must be at least 1 second")
    need(
        1 <= settings.http_header_timeout <= 60,
        "http_header_timeout",
        "must be 1 to 60 seconds",
    )
    # hyper panics on a read buffer under 8 KiB.
    need(
        8192 <= settings.http_header_limit <= 1024 * 1024,
        "http_header_limit",
        "must be 8192 to 1048576 bytes",
    )
    need(settings.http_body_timeout >= 1, "http_body_timeout", "must be at least 1 second")


def is_loopback(host: str) -> bool:
    """``host`` only accepts connections from this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _problems(settings: Settings) -> list[str]:
    out: list[str] = []

    def need(ok: bool, name: str, message: str) -> None:
        if not ok:
            out.append(f"{PREFIX}{name.upper()}: {message}")

    url = settings.database_url
    need(
        url.startswith(("sqlite:///", "postgresql://", "postgres://")),
        "database_url",
        "use sqlite:///path/file.db or postgresql://user@host:port/db",
    )
    need(0 < settings.port < 65536, "port", "must be 1..65535")
    need(1 <= settings.http_workers <= 64, "http_workers", "must be 1..64")
    need(
        bool(settings.context_identifier) and settings.context_identifier.isalnum(),
        "context_identifier",
        "letters and digits only",
    )
    need(len(settings.database_serial_number) <= 39, "database_serial_number", "at most 39 chars")
    need(settings.ticket_lifetime > 0, "ticket_lifetime", "must be positive")
    need(settings.token_lifetime > 0, "token_lifetime", "must be positive")
    need(settings.body_limit >= 1024, "body_limit", "must be at least 1024 bytes")
    need(
        settings.parameter_object_limit >= 1024,
        "parameter_object_limit",
        "must be at least 1024 bytes",
    )
    _connection_problems(settings, need)
    need(
        settings.sqlite_synchronous.upper() in {"OFF", "NORMAL", "FULL", "EXTRA"},
        "sqlite_synchronous",
        "one of OFF, NORMAL, FULL, EXTRA",
    )
    need(settings.concurrency >= 1, "concurrency", "must be at least 1")
    need(settings.lease > 0, "lease", "must be positive")
    need(
        0 < settings.heartbeat < settings.lease,
        "heartbeat",
        "must be positive and shorter than the lease",
    )
    need(
        all(part.isidentifier() for name in settings.handlers for part in name.split(".")),
        "handlers",
        "a comma-separated list of module names",
    )
    need(settings.poll_interval > 0, "poll_interval", "must be positive")
    need(settings.cancel_grace >= 0, "cancel_grace", "must not be negative")
    need(settings.shutdown_grace >= 0, "shutdown_grace", "must not be negative")
    need(0 < settings.owner_share <= 1, "owner_share", "must be more than 0 and at most 1")
    need(settings.builtin_timeout >= 0, "builtin_timeout", "must not be negative")
    need(
        all(prefix.startswith(("http://", "https://")) for prefix in settings.http_allow),
        "http_allow",
        "each prefix must start with http:// or https://",
    )
    need(settings.retention_succeeded >= 0, "retention_succeeded", "must not be negative")
    need(settings.retention_failed >= 0, "retention_failed", "must not be negative")
    need(settings.retention_interval >= 1, "retention_interval", "must be at least 1")
    need(settings.pg_pool_size >= 1, "pg_pool_size", "must be at least 1")
    need(settings.stream_queue >= 1, "stream_queue", "must be at least 1")
    need(settings.log_format.lower() in {"text", "json"}, "log_format", "text or json")
    need(0 <= settings.metrics_port < 65536, "metrics_port", "must be 0..65535")
    need(0 < settings.stream_poll_interval <= 10, "stream_poll_interval", "must be 0..10 seconds")
    need(
        all(origin == "*" or _ORIGIN.fullmatch(origin) for origin in settings.cors_origins),
        "cors_origins",
        "each origin is * or scheme://host[:port] (http or https, no path)",
    )
    need(settings.throttle_window > 0, "throttle_window", "must be positive")
    need(settings.throttle_free_failures >= 1, "throttle_free_failures", "must be at least 1")
    need(settings.throttle_address_limit >= 1, "throttle_address_limit", "must be at least 1")
    need(settings.throttle_username_limit >= 1, "throttle_username_limit", "must be at least 1")
    need(
        settings.throttle_username_interval >= 1, "throttle_username_interval", "must be at least 1"
    )
    need(settings.throttle_known_address >= 0, "throttle_known_address", "must not be negative")
    need(settings.argon2_time_cost >= 1, "argon2_time_cost", "must be at least 1")
    need(settings.argon2_memory_cost >= 8, "argon2_memory_cost", "must be at least 8 (KiB)")
    need(settings.argon2_parallelism >= 1, "argon2_parallelism", "must be at least 1")
    jwt_parts = [settings.jwt_issuer, settings.jwt_audience, settings.jwt_jwks]
    need(
        all(jwt_parts) or not any(jwt_parts),
        "jwt_issuer",
        "JWT validation needs BATCHTASK_JWT_ISSUER, _AUDIENCE and _JWKS together",
    )
    need(
        all(alg.startswith(("RS", "PS", "ES", "Ed")) for alg in settings.jwt_algorithms),
        "jwt_algorithms",
        "only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are accepted",
    )
    need(
        settings.log_level.lower() in {"debug", "info", "warning", "error"},
        "log_level",
        "one of debug, info, warning, error",
    )
    return out + _emulator_problems(settings)


def _emulator_problems(settings: Settings) -> list[str]:
    if not settings.emulator:
        return []
    out = []
    if not is_loopback(settings.host) and not settings.emulator_token.value:
        out.append(
            f"{PREFIX}EMULATOR: refuses the non-loopback address {settings.host!r} unless "
            f"{PREFIX}EMULATOR_TOKEN is set (anyone who reaches it could reset every tenant)"
        )
    if settings.http_workers != 1:
        out.append(
            f"{PREFIX}EMULATOR: runs in one API process (its controls live in that process's "
            "memory); use --workers 1"
        )
    return out
