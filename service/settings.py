"""Settings of the API process, read once from the environment; bad values stop start-up."""

from functools import lru_cache

from pydantic import Field, field_validator

from core.settings import CommonSettings, load_settings


class ApiSettings(CommonSettings):
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 inside a container.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    api_keys: str = Field(
        "", description="Comma-separated bearer keys. Empty means no authentication."
    )
    link_token_secret: str = Field(
        "", description="Signs browser links (report, events). Empty derives one from API_KEYS."
    )
    link_token_ttl_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600)
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, ge=1024, description="Largest accepted dataset upload (413 beyond)."
    )
    max_request_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="Largest JSON body (job specs, predict rows); 413 beyond. Uploads have their own.",
    )
    default_max_runtime_seconds: int = Field(3600, ge=1, description="When a spec sets no limit.")
    max_runtime_seconds: int = Field(6 * 3600, ge=1, description="The cap on any spec's limit.")
    worker_lost_after_seconds: int = Field(
        120,
        ge=10,
        description="A running job without a heartbeat this long is failed as worker_lost.",
    )
    predict_timeout_seconds: float = Field(
        60.0, gt=0, le=600, description="How long predict waits for a worker."
    )
    events_poll_seconds: float = Field(0.5, gt=0, le=10)

    @field_validator("api_keys")
    @classmethod
    def _keys(cls, v: str) -> str:
        keys = [k.strip() for k in v.split(",") if k.strip()]
        if any(len(k) < 8 for k in keys):
            raise ValueError("every API key must be at least 8 characters long")
        return ",".join(keys)

    @property
    def api_key_list(self) -> list[str]:
        return [k for k in self.api_keys.split(",") if k]


@lru_cache
def get_settings() -> ApiSettings:
    return load_settings(ApiSettings)
