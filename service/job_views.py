"""Turning stored job rows into the JSON the contract promises."""

from typing import Any

from schemas.finding import Finding
from schemas.job_status import JobError, JobLinks, JobState, JobStatus, Progress
from service.auth import sign_link
from service.settings import ApiSettings
from store.job_store import JobStore, aware
from store.tables import JobRow


def job_links(settings: ApiSettings, job: JobRow) -> JobLinks:
    base = f"/v1/jobs/{job.id}"
    # Browser links carry their own signed, expiring token, never the API key.
    suffix = f"?token={sign_link(settings, job.id, job.owner)}" if settings.api_key_list else ""
    return JobLinks(
        self=base,
        result=f"{base}/result",
        report=f"{base}/report{suffix}",
        events=f"{base}/events{suffix}",
        model=f"{base}/model",
    )


def job_status(
    settings: ApiSettings,
    store: JobStore,
    job: JobRow,
    *,
    history: list[dict[str, Any]] | None = None,
) -> JobStatus:
    epochs = job.epochs or 0
    progress = Progress(
        epoch=job.epoch or 0,
        epochs=epochs,
        fraction=1.0
        if job.state == JobState.succeeded.value
        else round(min(1.0, (job.epoch or 0) / epochs), 4)
        if epochs
        else 0.0,
    )
    return JobStatus(
        id=job.id,
        name=job.name,
        state=JobState(job.state),
        created_at=aware(job.created_at) or job.created_at,
        started_at=aware(job.started_at),
        finished_at=aware(job.finished_at),
        attempts=job.attempts,
        progress=progress,
        history=store.history(job.id) if history is None else history,
        diagnosis=[Finding.model_validate(f) for f in (job.diagnosis or [])],
        error=JobError.model_validate(job.error) if job.error else None,
        links=job_links(settings, job),
    )
