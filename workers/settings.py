"""Settings of the worker process, read once from the environment; bad values stop start-up."""

from functools import lru_cache

from pydantic import Field, field_validator

from core.settings import CommonSettings, load_settings


class WorkerSettings(CommonSettings):
    data_http_allowed_hosts: str = Field(
        "", description="Comma-separated hosts (host or host:port) that http(s) data may come from."
    )
    data_http_max_bytes: int = Field(
        500 * 1024 * 1024, ge=1024, description="Cap on a downloaded file."
    )
    data_http_timeout_seconds: float = Field(30.0, gt=0, le=3600, description="Download timeout.")
    bootstrap_resamples: int = Field(1000, ge=0, le=100_000, description="Resamples for 95% CIs.")
    heartbeat_seconds: float = Field(
        10.0, gt=0, le=600, description="Heartbeat during long epochs."
    )
    max_tasks_per_child: int = Field(
        50, ge=1, description="Recycle a worker child after this many jobs to return TF memory."
    )

    @field_validator("data_http_allowed_hosts")
    @classmethod
    def _hosts(cls, v: str) -> str:
        return ",".join(h.strip().lower() for h in v.split(",") if h.strip())

    @property
    def allowed_hosts(self) -> set[str]:
        return {h for h in self.data_http_allowed_hosts.split(",") if h}


@lru_cache
def get_worker_settings() -> WorkerSettings:
    return load_settings(WorkerSettings)
