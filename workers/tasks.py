"""Celery tasks. A task is like a web view: it takes an id, calls the pipeline, writes the outcome."""

import logging
import traceback
from typing import Any

from billiard.exceptions import WorkerLostError
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure

from core.celery_client import PREDICT_TASK, RUN_JOB_TASK
from schemas.job_spec import JobSpec
from schemas.job_status import JobState
from workers.celery_app import app
from workers.job_store_access import worker_job_store, worker_stores
from workers.settings import get_worker_settings

log = logging.getLogger("workers.tasks")


@app.task(name=RUN_JOB_TASK, ignore_result=True)
def run_job(job_id: str) -> None:
    stores = worker_stores()
    store = stores.jobs
    if not store.start(job_id):
        log.info("job %s is not queued any more (canceled, deleted or taken); skipping", job_id)
        return
    job = store.get(job_id)
    if job is None:
        return
    # Imported here, in the forked child, so the parent never loads TensorFlow.
    from workers.training.job_runner import run_training_job

    try:
        outcome = run_training_job(
            job, JobSpec.model_validate(job.spec), stores, get_worker_settings()
        )
    except BaseException as exc:  # nothing may leave a job running: record, then let Celery see it
        log.error("job %s crashed: %s", job_id, traceback.format_exc())
        if isinstance(exc, MemoryError):
            code, hint = (
                "out_of_memory",
                "Lower training.batch_size, the model size or the data size.",
            )
        elif isinstance(exc, SystemExit | KeyboardInterrupt):
            code, hint = "worker_lost", "The worker was shut down mid-job; resubmit the job."
        else:
            code, hint = "internal_error", "This is a bug, not your spec; the worker keeps running."
        store.fail(
            job_id,
            {
                "code": code,
                "message": f"The worker hit an unexpected {type(exc).__name__}: {str(exc)[:300]}",
                "hint": hint,
            },
        )
        if not isinstance(exc, Exception):
            raise
        return
    try:
        if outcome.state is JobState.succeeded:
            stored = store.succeed(job_id, outcome.result or {}, outcome.diagnosis)
        else:
            stored = store.fail(job_id, outcome.error or {}, outcome.diagnosis, state=outcome.state)
        ended = store.get(job_id)
        log.info(
            "job %s ended %s%s",
            job_id,
            ended.state if ended else "deleted",
            f" ({(outcome.error or {}).get('code')})" if outcome.error else "",
        )
        if not stored:
            log.warning("job %s: its outcome was not stored; it had left running already", job_id)
    except Exception as exc:  # an outcome the store cannot hold must not leave the job running
        log.error("job %s: storing its outcome failed: %s", job_id, traceback.format_exc())
        store.fail(
            job_id,
            {
                "code": "internal_error",
                "message": f"The job finished but its outcome could not be stored: "
                f"{type(exc).__name__}: {str(exc)[:300]}",
                "hint": "This is a bug, not your spec; the worker keeps running.",
            },
            outcome.diagnosis,
        )


@app.task(name=PREDICT_TASK, ignore_result=True)
def predict(prediction_id: str) -> None:
    stores = worker_stores()
    request = stores.predictions.get(prediction_id)
    if request is None:
        return
    from workers.prediction import predict_rows
    from workers.training.errors import JobFailure

    try:
        response = predict_rows(get_worker_settings().artifacts_dir / request.job_id, request.rows)
    except JobFailure as exc:
        stores.predictions.reject(prediction_id, exc.as_error())
    except Exception as exc:  # the caller gets an answer, never a hang
        log.error("prediction %s crashed: %s", prediction_id, traceback.format_exc())
        stores.predictions.reject(
            prediction_id,
            {
                "code": "internal_error",
                "message": f"{type(exc).__name__}: {str(exc)[:300]}",
                "hint": None,
            },
        )
    else:
        stores.predictions.answer(prediction_id, response)


@task_failure.connect
def _job_lost(sender: Any = None, args: Any = None, exception: Any = None, **_: Any) -> None:
    """Runs in the worker's parent when a pool child dies mid-job (killed, out of memory, hard
    time limit): end the job now instead of waiting for its heartbeat to go stale."""
    if getattr(sender, "name", None) != RUN_JOB_TASK or not args:
        return
    if isinstance(exception, TimeLimitExceeded):
        worker_job_store().mark_lost(
            args[0], code="timeout", message="The job ran past its hard time limit and was stopped."
        )
    elif isinstance(exception, WorkerLostError):
        worker_job_store().mark_lost(
            args[0], message=f"The worker process running this job died: {exception}"
        )
