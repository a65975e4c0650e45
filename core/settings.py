"""Settings both processes read: where the store, the broker, the data and artifacts are.

Each process has its own settings class derived from this one (service.settings, workers.settings);
bad values fail at start-up, not at the first request.
"""

import os
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    var_dir: Path = Field(
        Path("var"), description="Embedded database, broker and artifacts live here."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL of the job store; empty means a SQLite file under VAR_DIR."
    )
    broker_url: str = Field(
        "",
        description="Celery broker. Empty means the embedded SQLite transport under VAR_DIR; "
        "redis://host:6379/0 uses Redis.",
    )
    data_root: Path = Field(Path("data"), description="data.location paths resolve under here.")
    task_queue: str = Field("training", min_length=1, description="Celery queue for training jobs.")
    predict_queue: str = Field(
        "predict",
        min_length=1,
        description="Celery queue for predictions (kept apart from training).",
    )
    data_http_allowed_hosts: str = Field(
        "", description="Comma-separated hosts (host or host:port) that http(s) data may come from."
    )
    broker_polling_interval: float = Field(
        0.2, gt=0, le=10, description="Seconds between polls of the embedded broker."
    )

    @field_validator("database_url")
    @classmethod
    def _db_scheme(cls, v: str) -> str:
        if v and not v.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("DATABASE_URL must be sqlite:///path or postgresql+psycopg://...")
        if v.startswith("postgres://"):
            v = "postgresql+psycopg://" + v.removeprefix("postgres://")
        elif v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v.removeprefix("postgresql://")
        return v

    @field_validator("data_http_allowed_hosts")
    @classmethod
    def _hosts(cls, v: str) -> str:
        return ",".join(h.strip().lower() for h in v.split(",") if h.strip())

    def url_allowed(self, url: str) -> bool:
        """An http(s) URL whose host (or host:port) is in DATA_HTTP_ALLOWED_HOSTS."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        allowed = {h for h in self.data_http_allowed_hosts.split(",") if h}
        host = parts.hostname.lower()
        return host in allowed or (port is not None and f"{host}:{port}" in allowed)

    @field_validator("broker_url")
    @classmethod
    def _broker_scheme(cls, v: str) -> str:
        if v and not v.startswith(("redis://", "rediss://", "sqla+", "amqp://", "memory://")):
            raise ValueError("BROKER_URL must be redis://..., sqla+sqlite:///path or amqp://...")
        return v

    @model_validator(mode="after")
    def _fill_defaults(self) -> "CommonSettings":
        self.var_dir = self.var_dir.resolve()
        self.data_root = self.data_root.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'jobs.sqlite'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.var_dir / 'broker.sqlite'}"
        return self

    @property
    def artifacts_dir(self) -> Path:
        return self.var_dir / "artifacts"

    @property
    def uploads_dir(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("sqla+")

    def ensure_dirs(self) -> None:
        for d in (self.var_dir, self.artifacts_dir, self.uploads_dir):
            d.mkdir(parents=True, exist_ok=True)


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S]) -> S:
    """Read settings from the environment, or stop the process with one line per bad variable.
    Under a prefix of its own (DIAGNOSIS_), a variable that names no setting is a typo, and is
    refused too."""
    prefix = str(cls.model_config.get("env_prefix") or "")
    lines: list[str] = []
    if prefix:
        known = {prefix.upper() + name.upper() for name in cls.model_fields}
        lines += [
            f"  {var}: no such setting (a typo?); the {prefix}* settings are in the docs"
            for var in sorted(os.environ)
            if var.upper().startswith(prefix.upper()) and var.upper() not in known
        ]
    try:
        settings = cls()
    except ValidationError as exc:
        lines += [
            f"  {prefix.upper()}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
    if lines:
        raise SystemExit("Invalid configuration:\n" + "\n".join(lines))
    return settings
