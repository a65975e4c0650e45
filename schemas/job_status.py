"""What GET /v1/jobs/{id} answers: state, progress, per-epoch history, findings and error."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from schemas.finding import Finding


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    canceling = "canceling"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


FINAL_STATES = frozenset({JobState.succeeded, JobState.failed, JobState.canceled})


class JobError(BaseModel):
    code: str = Field(description="Why the job failed: missing_values, diverged, timeout, ...")
    message: str
    hint: str | None = Field(None, description="What to change so that the next run works.")
    details: dict[str, Any] = Field(default_factory=dict)


class Progress(BaseModel):
    epoch: int = 0
    epochs: int = 0
    fraction: float = 0.0


class JobLinks(BaseModel):
    self: str
    result: str
    report: str
    events: str
    model: str


class JobStatus(BaseModel):
    id: str
    name: str | None
    state: JobState
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    progress: Progress
    history: list[dict[str, Any]] = Field(
        description="One row per finished epoch: epoch (from 1), loss, val_loss, metrics, learning_rate."
    )
    diagnosis: list[Finding]
    error: JobError | None
    links: JobLinks


class JobList(BaseModel):
    items: list[JobStatus]
    next_cursor: str | None
