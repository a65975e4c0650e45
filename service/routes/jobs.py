"""/v1/jobs: submit, list, poll, fetch results, cancel and delete training jobs."""

import hashlib
import json
import shutil
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from core.celery_client import RUN_JOB_TASK
from schemas.job_spec import JobSpec
from schemas.job_status import FINAL_STATES, JobList, JobState, JobStatus
from service.deps import CallerDep, CeleryDep, DatasetStoreDep, JobStoreDep, SettingsDep
from service.job_views import job_status
from service.problems import Problem, field_problem
from service.settings import ApiSettings
from store.dataset_store import DatasetStore
from store.job_store import IdempotencyConflict, JobStore
from store.tables import JobRow

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def spec_sha256(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def load_job(store: JobStore, job_id: str, caller: str | None) -> JobRow:
    job = store.get(job_id, caller)
    if job is None:
        raise Problem(
            404, "Job not found", f"No job with id {job_id[:64]!r} is visible to this caller."
        )
    return job


def _location_problem(msg: str, error_type: str) -> Problem:
    return Problem(
        422,
        "The request is not valid",
        f"data.location: {msg}",
        errors=[
            {"loc": ["data", "location"], "field": "data.location", "msg": msg, "type": error_type}
        ],
    )


def _check_location(
    spec: JobSpec, datasets: DatasetStore, caller: str | None, settings: ApiSettings
) -> None:
    """Locations knowable at submission: an unknown upload id or a URL on a host that is not
    allowlisted is a spec error (the worker checks again, redirects included)."""
    location = spec.data.location or ""
    if location.startswith("dataset:"):
        dataset_id = location.removeprefix("dataset:")
        if datasets.get(dataset_id, caller) is None:
            raise _location_problem(
                f"no uploaded dataset {dataset_id[:64]!r} is visible to this caller; upload the "
                "file with POST /v1/datasets and use the location it returns.",
                "dataset_not_found",
            )
    elif location.startswith(("http://", "https://")) and not settings.url_allowed(location):
        host = (urlsplit(location).hostname or "")[:100]
        raise _location_problem(
            f"host {host!r} is not in DATA_HTTP_ALLOWED_HOSTS; ask the operator to allow it, "
            "or upload the file with POST /v1/datasets.",
            "host_not_allowed",
        )


@router.post("", status_code=202, response_model=JobStatus)
def submit_job(
    spec: JobSpec,
    response: Response,
    settings: SettingsDep,
    store: JobStoreDep,
    celery: CeleryDep,
    caller: CallerDep,
    datasets: DatasetStoreDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    _check_location(spec, datasets, caller, settings)
    limit = min(
        spec.limits.max_runtime_seconds or settings.default_max_runtime_seconds,
        settings.max_runtime_seconds,
    )
    spec = spec.model_copy(
        update={"limits": spec.limits.model_copy(update={"max_runtime_seconds": limit})}
    )
    body = spec.model_dump(mode="json")
    try:
        job, created = store.create(
            spec=body,
            spec_sha256=spec_sha256(body),
            name=spec.name,
            owner=caller or "",
            idempotency_key=idempotency_key,
            epochs=spec.training.epochs,
        )
    except IdempotencyConflict as exc:
        raise Problem(
            409,
            "Idempotency key reused",
            f"Idempotency-Key {idempotency_key!r} was used for job {exc.args[0]} with a different "
            "body. Use a new key for a new job.",
        ) from exc
    status = job_status(settings, store, job)
    if not created:
        return JSONResponse(
            status.model_dump(mode="json"),
            status_code=200,
            headers={"Location": f"/v1/jobs/{job.id}"},
        )
    try:
        celery.send_task(
            RUN_JOB_TASK,
            args=[job.id],
            queue=settings.task_queue,
            # The worker enforces the spec's own limit between epochs; this is the backstop.
            time_limit=limit + 300,
        )
    except Exception as exc:  # the broker is down: say so, and do not leave a job queued forever
        store.fail(
            job.id,
            {
                "code": "broker_unavailable",
                "message": f"The job could not be queued: {type(exc).__name__}.",
                "hint": "Check that the broker (BROKER_URL) is running, then resubmit.",
            },
        )
        raise Problem(
            503, "Queue unavailable", "The job could not be queued; the broker is down."
        ) from exc
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return status


@router.get("", response_model=JobList)
def list_jobs(
    settings: SettingsDep,
    store: JobStoreDep,
    caller: CallerDep,
    state: JobState | None = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Any:
    try:
        rows, next_cursor = store.list_page(
            owner=caller,
            state=state.value if state else None,
            name=name,
            limit=limit,
            cursor=cursor,
        )
    except ValueError as exc:
        raise field_problem(422, "Bad cursor", ["cursor"], str(exc), "bad_cursor") from exc
    return JobList(items=[job_status(settings, store, j) for j in rows], next_cursor=next_cursor)


@router.get("/{job_id}", response_model=JobStatus)
def get_job(job_id: str, settings: SettingsDep, store: JobStoreDep, caller: CallerDep) -> Any:
    return job_status(settings, store, load_job(store, job_id, caller))


@router.get("/{job_id}/result")
def get_result(job_id: str, store: JobStoreDep, caller: CallerDep) -> Any:
    job = load_job(store, job_id, caller)
    if job.state != JobState.succeeded.value:
        if job.state in ("failed", "canceled"):
            title = "No result"
            hint = "It will have none; its status carries the error, history and diagnosis."
        else:
            title = "No result yet"
            hint = "Poll GET /v1/jobs/{id} until its state is succeeded."
        raise Problem(409, title, f"Job {job.id} is {job.state}. {hint}", state=job.state)
    return JSONResponse(job.result or {})


@router.post("/{job_id}/cancel", status_code=202, response_model=JobStatus)
def cancel_job(job_id: str, settings: SettingsDep, store: JobStoreDep, caller: CallerDep) -> Any:
    job = load_job(store, job_id, caller)
    if JobState(job.state) in FINAL_STATES:
        raise Problem(
            409,
            "Job already final",
            f"Job {job.id} is {job.state}; it cannot be canceled.",
            state=job.state,
        )
    store.request_cancel(job.id)
    return job_status(settings, store, load_job(store, job_id, caller))


@router.delete("/{job_id}", status_code=204)
def delete_job(
    job_id: str, settings: SettingsDep, store: JobStoreDep, caller: CallerDep
) -> Response:
    job = load_job(store, job_id, caller)
    if JobState(job.state) not in FINAL_STATES or not store.delete(job.id):
        raise Problem(
            409,
            "Job not final",
            f"Job {job.id} is {job.state}; cancel it and wait for a final state before deleting.",
            state=job.state,
        )
    shutil.rmtree(settings.artifacts_dir / job.id, ignore_errors=True)
    return Response(status_code=204)
