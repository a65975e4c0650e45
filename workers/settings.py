"""Settings of the worker process, read once from the environment; bad values stop start-up."""

from functools import lru_cache

from pydantic import Field

from core.settings import CommonSettings, load_settings


class WorkerSettings(CommonSettings):
    data_http_max_bytes: int = Field(
        500 * 1024 * 1024, ge=1024, description="Cap on a downloaded file."
    )
    data_http_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="Download timeout: the whole download, not one read."
    )
    bootstrap_resamples: int = Field(1000, ge=0, le=100_000, description="Resamples for 95% CIs.")
    heartbeat_seconds: float = Field(
        10.0, gt=0, le=600, description="Heartbeat during long epochs."
    )
    max_tasks_per_child: int = Field(
        50, ge=1, description="Recycle a worker child after this many jobs to return TF memory."
    )


@lru_cache
def get_worker_settings() -> WorkerSettings:
    return load_settings(WorkerSettings)
