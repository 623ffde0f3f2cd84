"""Settings: ``OPSLEDGER_*`` environment variables, over ``.streamlit/secrets.toml`` ([opsledger]),
over defaults.

The secrets file is the one Streamlit reads: ``./.streamlit/secrets.toml`` in the working directory,
then ``~/.streamlit/secrets.toml``; ``OPSLEDGER_SECRETS_FILE`` points at another one.
"""

from __future__ import annotations

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
    session_idle_minutes: int = Field(default=60, gt=0)
    lockout_attempts: int = Field(default=5, gt=0, description="failed sign-ins before a lockout")
    lockout_minutes: int = Field(default=15, gt=0)
    cookie_secret: SecretStr | None = Field(
        default=None, description="signs the session cookie; generated into the data dir when unset"
    )
    demo_data: bool = Field(default=True, description="load the demo data set when the store is empty")
    jobs_enabled: bool = Field(default=True, description="run the scheduler inside the console process")
    sla_escalation_cron: str = "*/5 * * * *"
    sla_hours: dict[str, float] = Field(default_factory=dict, description="SLA hours per exception kind")
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

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"duckdb:///{(self.data_dir / 'opsledger.duckdb').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigurationError(f"Invalid OpsLedger settings: {exc}") from exc
