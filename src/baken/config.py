"""One settings object, read from ``BAKEN_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BAKEN_", extra="ignore")

    data_dir: Path = Field(default=Path("./baken-data"))
    # Empty means: the embedded SQLite file in data_dir.
    database_url: str = ""
    # Redis for fan-out between several Baken processes; empty means one process, in-memory.
    redis_url: str = ""
    # Processes of one installation share this channel; another installation on the same Redis
    # must use another.
    redis_channel: str = "baken:events"
    # Base64 of 32 random bytes. Empty means: read or create data_dir/master.key.
    master_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # Where quick exit sends the visitor: a neutral, everyday site.
    exit_url: str = "https://www.buienradar.nl/"
    # Extra origins allowed to open WebSockets, besides the site's own origin.
    allowed_origins: list[str] = Field(default_factory=list)
    # The address people use, e.g. https://chat.example.org. Staff passkeys are bound to its host
    # name and origin (docs/security.md, "Passkeys"); empty: the Host of each request (demo, tests).
    public_url: str = ""
    max_chats: int = Field(default=3, ge=1, le=50)
    # Queue rules: extra points for younger visitors (danger always goes first), and a cap.
    priority_under_16: int = Field(default=10, ge=0, le=99)
    priority_16_17: int = Field(default=5, ge=0, le=99)
    queue_max: int = Field(default=500, ge=1)
    # A visitor waiting this long (or told to expect this long) is offered to leave a message
    # instead (issue 3); 0 = never offer.
    offer_message_after_seconds: int = Field(default=600, ge=0, le=24 * 3600)
    max_message_chars: int = Field(default=4000, ge=1, le=100_000)
    # Issue 15: "open" for visitors means inside opening hours AND a counselor or supervisor of
    # the organisation signed in to the console; otherwise the closed page (leave a message, the
    # numbers, 112). Off only for tests and benchmarks that start visitors before any staff.
    open_needs_staff: bool = True
    # Issue 13: false refuses the visitor's WebSocket at the handshake, for a proxy or CDN in front
    # of the visitor's side that cannot carry WebSockets; the visitor page then carries on over
    # the HTTP door (event stream and posts). Staff consoles keep their socket either way.
    visitor_websockets: bool = True
    # --- nothing left hanging (issue 15, src/baken/realtime/timeouts.py) ---
    # A waiting visitor whose connection is gone this long leaves the queue.
    queue_gone_seconds: int = Field(default=60, ge=10, le=3600)
    # An active chat closes when the visitor is gone this long, or nobody wrote for idle_minutes;
    # both sides are warned timeout_warning_minutes before.
    active_gone_minutes: int = Field(default=10, ge=1, le=24 * 60)
    idle_minutes: int = Field(default=30, ge=2, le=24 * 60)
    timeout_warning_minutes: int = Field(default=2, ge=1, le=60)
    # How often each process sweeps. Bounded by the two limits above (checked below), so a gone
    # visitor always leaves within twice the queue's limit and a chat is always warned before it
    # ends; a bench turns the sweeps "off" with the largest values (bench/sweep_overhead.py).
    sweep_seconds: int = Field(default=10, ge=1, le=3600)
    # Issue 17, item 3: how long a partner professional's invitation into a chat lasts, and how
    # often each process ends the accesses that ran out (every frame checks expiry as well).
    partner_access_minutes: int = Field(default=120, ge=1, le=24 * 60)
    partner_sweep_seconds: int = Field(default=30, ge=1, le=3600)
    # Counselor wellbeing (issue 15, docs/wellbeing.md): the pause offered after a heavy chat, and
    # a gentle reminder after this long in chats without a break (0 = never).
    wellbeing_pause_minutes: int = Field(default=10, ge=1, le=60)
    break_reminder_minutes: int = Field(default=120, ge=0, le=24 * 60)
    # Team operations (issue 15, item 1; docs/supervision.md): a wrap-up after a chat ends by
    # itself after this long (the counselor is available again).
    wrap_up_max_minutes: int = Field(default=10, ge=1, le=120)
    # Alerts for supervisors (issue 15, item 3; docs/supervision.md, "Alerts"): a visitor waiting
    # longer than this; a visitor's message without a counselor's reply this long; a left message
    # unanswered this long; the queue at this share of its cap (0 = never).
    alert_wait_minutes: int = Field(default=10, ge=1, le=24 * 60)
    alert_silent_minutes: int = Field(default=5, ge=1, le=24 * 60)
    alert_left_message_hours: int = Field(default=24, ge=1, le=24 * 30)
    alert_queue_near_percent: int = Field(default=80, ge=0, le=100)
    # Service figures (issue 15, item 7): the share of contacts answered within this long.
    answered_within_minutes: int = Field(default=2, ge=1, le=24 * 60)
    # Issue 17, item 5: a referral without an outcome joins the follow-up list after this many days.
    referral_followup_days: int = Field(default=14, ge=1, le=365)
    heartbeat_seconds: int = Field(default=20, ge=1, le=300)
    log_level: str = "info"
    # Garbage-collector thresholds for `baken serve` (src/baken/web/gc_tuning.py); "" = defaults.
    gc_thresholds: str = ""
    # --- staff accounts (issue 5, docs/security.md) ---
    staff_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    staff_session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    # Failed sign-in attempts per account and hour before further attempts are refused.
    login_failure_limit: int = Field(default=100, ge=1, le=100_000)
    # How often each process re-checks the sessions behind its open staff sockets.
    session_check_seconds: int = Field(default=15, ge=1, le=600)
    # --- retention (issue 5, docs/security.md "Retention and keys") ---
    # Transcripts become unreadable this many days after their conversation ended.
    retention_days: int = Field(default=90, ge=1, le=36_500)
    # How often each process looks for transcripts to destroy.
    purge_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)
    organisation_name: str = "Baken"
    # --- abuse without identity and logs (issue 5, docs/security.md) ---
    # "text" (one readable line) or "json" (one JSON object per line).
    log_format: Literal["text", "json"] = "text"
    # Proxies whose X-Forwarded-For is believed, as IPs or CIDRs (JSON list); none by default.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Issue 18: partner sites whose pages may read /api/availability (CORS), as a JSON list of
    # origins, e.g. ["https://school.example"]; none by default.
    partner_origins: list[str] = Field(default_factory=list)
    # Availability requests per address and minute before 429 (a school behind one address).
    address_availability_per_minute: int = Field(default=600, ge=1)
    # One computed availability answer is shared by every request for this long.
    availability_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Proof-of-work before a chat starts (JSON API). Off only for load tests on loopback.
    proof_of_work: bool = True
    # Numbers a browser may have to try at normal load; doubled per level of load, up to max.
    pow_base_number: int = Field(default=20_000, ge=1_000, le=5_000_000)
    pow_max_level: int = Field(default=2, ge=0, le=4)
    # What counts as normal load: starts per minute (this process) and visitors waiting.
    pow_normal_starts_per_minute: int = Field(default=30, ge=1)
    pow_normal_queue: int = Field(default=25, ge=1)
    # Per address hash (in memory, per process): chat starts and returns, failed staff sign-ins.
    address_starts_per_10min: int = Field(default=20, ge=1)
    address_login_failures_per_10min: int = Field(default=30, ge=1)
    # Issue 16: the way back with a proof (mailbox reads, left messages, destroying a code), per
    # address hash; only requests whose proof-of-work holds are counted.
    address_way_back_per_10min: int = Field(default=30, ge=1)
    # Issue 16: every no-JavaScript form post together (start, return, the closed page's forms),
    # per address hash, counted before the global form limit below.
    address_forms_per_10min: int = Field(default=10, ge=1)
    # The no-JavaScript forms have no proof-of-work: a tight limit for everyone together.
    form_starts_per_minute: int = Field(default=6, ge=1)
    # Issue 16, slow clients (web/slow_clients.py): seconds to send a request's headers, and its
    # body; connections per address still sending their headers.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_half_open_per_address: int = Field(default=64, ge=1)
    # Messages from all visitors together, per process.
    visitor_messages_per_second: int = Field(default=2000, ge=1)
    # Issue 19: indicator detections for the chat's counselor (docs/signals.md); off = no
    # `signals` frames (and a clean comparison in the chat benchmark).
    signals: bool = True
    # --- registration (issue 6, docs/registration-form.md) ---
    # A counselor cannot close an ended chat's panel before its registration is complete. Ending
    # the chat itself is never held up: the visitor is always let go.
    registration_required: bool = False

    @model_validator(mode="after")
    def _sweeps_keep_the_grace_rules(self) -> Settings:
        if self.sweep_seconds > self.queue_gone_seconds:
            raise ValueError(
                "BAKEN_SWEEP_SECONDS must not exceed BAKEN_QUEUE_GONE_SECONDS: a visitor who is "
                "gone would wait in the queue for more than twice its limit"
            )
        # The loop sleeps, then sweeps: rounds are a little longer than the interval, so half the
        # warning window leaves room for at least one sweep inside it.
        if 2 * self.sweep_seconds > 60 * self.timeout_warning_minutes:
            raise ValueError(
                "BAKEN_SWEEP_SECONDS must be at most half of the warning's window "
                "(BAKEN_TIMEOUT_WARNING_MINUTES × 60 s): otherwise a chat could end unwarned"
            )
        return self

    @field_validator("gc_thresholds")
    @classmethod
    def _gc_thresholds_parse(cls, value: str) -> str:
        from baken.web.gc_tuning import parse_thresholds

        parse_thresholds(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: list[str]) -> list[str]:
        from baken.abuse.address import parse_networks

        parse_networks(value)
        return value

    @field_validator("exit_url")
    @classmethod
    def _exit_url_is_absolute(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("BAKEN_EXIT_URL must be an absolute http(s) URL")
        return value

    @field_validator("partner_origins")
    @classmethod
    def _partner_origins_are_origins(cls, value: list[str]) -> list[str]:
        from urllib.parse import urlsplit

        for origin in value:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("https", "http")
                or not parts.hostname
                or origin != f"{parts.scheme}://{parts.netloc}"
            ):
                raise ValueError(
                    f"BAKEN_PARTNER_ORIGINS: {origin!r} is not an origin like https://example.org"
                )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str) -> str:
        from urllib.parse import urlsplit

        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("BAKEN_PUBLIC_URL must be an absolute http(s) URL")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the usual libpq-style URL and pick the async driver ourselves.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+asyncpg://" + url.split("://", 1)[1]
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'baken.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
