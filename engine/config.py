"""Settings: ``OPSLEDGER_*`` environment variables, over ``.streamlit/secrets.toml`` ([opsledger]),
over defaults.

The secrets file is the one Streamlit reads: ``./.streamlit/secrets.toml`` in the working directory,
then ``~/.streamlit/secrets.toml``; ``OPSLEDGER_SECRETS_FILE`` points at another one.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from engine.errors import ConfigurationError


def secrets_files() -> list[Path]:
    explicit = os.environ.get("OPSLEDGER_SECRETS_FILE")
    if explicit:
        return [Path(explicit)]
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _SecretsTomlSource(PydanticBaseSettingsSource):
    """The ``[opsledger]`` table of the first secrets.toml that exists."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        for path in secrets_files():
            if path.is_file():
                try:
                    data = tomllib.loads(path.read_text(encoding="utf-8"))
                except (OSError, tomllib.TOMLDecodeError) as exc:
                    raise ConfigurationError(
                        f"Cannot read {path}: {exc}. Fix the file or remove it."
                    ) from exc
                table = data.get("opsledger", {})
                return dict(table) if isinstance(table, dict) else {}
        return {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSLEDGER_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default duckdb:///<data_dir>/opsledger.duckdb"
    )
    timezone: str = Field(default="Asia/Dubai", description="business day for tag ids and due dates")
    max_upload_mb: float = Field(default=20, gt=0, description="largest file the console accepts")
    max_carrier_upload_mb: float = Field(
        default=500, gt=0, description="largest carrier bill the console, the API and the CLI load"
    )
    session_idle_minutes: int = Field(default=60, gt=0)
    session_max_hours: float = Field(
        default=12, gt=0, description="a session ends this long after sign-in, however active"
    )
    lockout_attempts: int = Field(default=5, gt=0, description="failed sign-ins before a lockout")
    lockout_minutes: int = Field(default=15, gt=0)
    cookie_secret: SecretStr | None = Field(
        default=None, description="signs the session cookie; generated into the data dir when unset"
    )
    cookie_secure: bool = Field(
        default=False,
        description="always mark cookies Secure (the console is reached over https through a proxy)",
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses or networks (comma-separated) whose X-Forwarded-Proto is believed",
    )
    demo_data: bool = Field(default=True, description="load the demo data set when the store is empty")
    jobs_enabled: bool = Field(default=True, description="run the scheduler inside the console process")
    sla_escalation_cron: str = "*/5 * * * *"
    allocation_cutoff: str = Field(
        default="16:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="when the T-1 allocation runs for the next working day",
    )
    working_days: str = Field(
        default="sat,sun,mon,tue,wed,thu", description="days production runs (Friday off)"
    )
    snapshot_max_age_days: int = Field(default=1, ge=0, description="older stock snapshots are flagged")
    mapping_cache_seconds: float = Field(
        default=2.0, ge=0, description="how stale another process's master data changes may be seen"
    )
    sla_hours: dict[str, float] = Field(default_factory=dict, description="SLA hours per exception kind")
    invoice_mailbox: str = Field(
        default="invoices@opsledger.example",
        description="the AP mailbox invoices arrive in (mail from it is never processed: seed loop rule)",
    )
    ap_address: str = Field(default="ap@opsledger.example", description="where routed invoices are sent")
    allowed_ap_emails: str = Field(
        default="", description="when set (comma-separated), mail must be addressed to one of these"
    )
    default_billing_party: str = Field(default="Company HQ", description="the seed's DEFAULT_BILLING_PARTY")
    mail_source: str = Field(
        default="folder", pattern=r"^(folder|graph|imap)$", description="where mail_poll reads"
    )
    mail_poll_cron: str = Field(
        default="* * * * *", description="mail_poll: every minute (routed within a minute)"
    )
    invoice_date_order: str = Field(
        default="DMY", pattern=r"^(DMY|MDY|YMD)$", description="how an ambiguous 02/11/2026 is read"
    )
    graph_tenant_id: str | None = Field(
        default=None, description="Entra ID tenant of the mailbox (Graph source)"
    )
    graph_client_id: str | None = Field(default=None, description="the app registration's client id")
    graph_client_secret: SecretStr | None = Field(default=None, description="its client secret")
    graph_authority_host: str = Field(
        default="https://login.microsoftonline.com", description="where MSAL gets tokens (https only)"
    )
    graph_base_url: str = Field(default="https://graph.microsoft.com/v1.0", description="the Graph API root")
    graph_ca_bundle: str | None = Field(
        default=None, description="a CA bundle to trust for the authority and Graph (tests, proxies)"
    )
    graph_client_state: SecretStr | None = Field(
        default=None,
        description="the clientState of the Graph subscription; set it to accept change notifications at "
        "/api/v1/graph/notifications (the minute poll stays the safety net)",
    )
    imap_host: str | None = Field(default=None, description="IMAP server of a mailbox outside Microsoft 365")
    imap_port: int = Field(default=993, gt=0)
    imap_security: str = Field(
        default="ssl", pattern=r"^(ssl|starttls|none)$", description="TLS from the start, STARTTLS, or none"
    )
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = Field(default="INBOX", description="the folder invoices arrive in")
    ap_delivery: str = Field(
        default="outbox",
        pattern=r"^(outbox|graph)$",
        description="route to AP by the outbox folder or Graph sendMail",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, description="turns on the optional language model (vendor and fields it must choose)"
    )
    openai_base_url: str | None = Field(
        default=None, description="an OpenAI-compatible endpoint (Azure, local)"
    )
    openai_model: str = Field(default="gpt-4o-mini", description="the model asked")
    openai_timeout_seconds: float = Field(default=20, gt=0)
    teams_webhook_url: SecretStr | None = Field(
        default=None,
        description="a Teams Workflows 'When a Teams webhook request is received' URL (a secret: its sig= "
        "authorises posting); when set, each routed or flagged invoice posts a card",
    )
    invoice_max_pages: int = Field(default=50, gt=0, description="PDF pages read per invoice")
    wms_odbc_connection: SecretStr | None = Field(
        default=None,
        description="an ODBC connection string or DSN=name (may hold a password) for the WMS database pull",
    )
    wms_odbc_query: str = Field(
        default="SELECT * FROM shipments",
        description="the SELECT whose columns carry the WMS export's names (or their aliases)",
    )
    wms_pull_cron: str | None = Field(default=None, description="when wms_pull runs (unset: only on demand)")
    carrier_inbox_cron: str = Field(default="*/5 * * * *", description="when the carrier drop folder is read")
    reconciliation_cron: str = Field(default="0 2 * * *", description="the nightly reconciliation")
    carrier_dim_divisor: int = Field(default=139, gt=0, description="DIM divisor when a bill row has none")
    recon_weight_tolerance_lb: float = Field(
        default=1.0, ge=0, description="billed − expected weight allowed"
    )
    recon_grace_days: int = Field(
        default=21, ge=0, description="days a shipped package may wait for its bill"
    )
    api_rate_per_minute: int = Field(
        default=120, gt=0, description="integration API requests one key may make per minute (then 429)"
    )
    file_url_hosts: str = Field(
        default="",
        description="hosts (comma-separated) the integration API may fetch a tag sheet's file_url from; "
        "none by default",
    )
    file_url_timeout_seconds: float = Field(default=20, gt=0, description="a file_url fetch gives up after")
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _SecretsTomlSource(settings_cls))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Dubai)") from exc
        return value

    @field_validator("working_days")
    @classmethod
    def _known_days(cls, value: str) -> str:
        days = [d.strip().lower()[:3] for d in value.split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown or not days:
            raise ValueError(f"working_days {value!r}: use mon,tue,wed,thu,fri,sat,sun")
        return ",".join(days)

    @field_validator("trusted_proxies")
    @classmethod
    def _known_networks(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {part!r} is not an address or network") from exc
        return ",".join(parts)

    @field_validator("file_url_hosts")
    @classmethod
    def _host_names(cls, value: str) -> str:
        return ",".join(h.strip().lower().rstrip(".") for h in value.split(",") if h.strip())

    @property
    def file_url_allowlist(self) -> frozenset[str]:
        return frozenset(h for h in self.file_url_hosts.split(",") if h)

    @property
    def api_max_body_bytes(self) -> int:
        """A tag sheet as base64 in JSON is 4/3 of the file; 64 KiB more for the other fields."""
        return self.max_upload_bytes * 4 // 3 + 64 * 1024

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies.split(",") if p)

    @property
    def working_weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.working_days.split(","))

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"duckdb:///{(self.data_dir / 'opsledger.duckdb').resolve()}"

    @property
    def mail_dir(self) -> Path:
        """The folder mail source: .eml files dropped here are processed and moved to done/."""
        return self.data_dir / "inbox" / "mail"

    @property
    def outbox_dir(self) -> Path:
        """Routed invoices as .eml files when no Graph sendMail is configured."""
        return self.data_dir / "outbox" / "ap"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_carrier_upload_bytes(self) -> int:
        return int(self.max_carrier_upload_mb * 1024 * 1024)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigurationError(f"Invalid OpsLedger settings: {exc}") from exc
