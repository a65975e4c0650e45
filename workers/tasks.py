"""Celery tasks. A task is like a web view: it takes an id, calls the pipeline, writes the outcome."""

import logging
import traceback

from core.celery_client import RUN_JOB_TASK
from schemas.job_spec import JobSpec
from schemas.job_status import JobState
from workers.celery_app import app
from workers.job_store_access import worker_job_store
from workers.settings import get_worker_settings

log = logging.getLogger("workers.tasks")


@app.task(name=RUN_JOB_TASK, ignore_result=True)
def run_job(job_id: str) -> None:
    store = worker_job_store()
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
            job_id, JobSpec.model_validate(job.spec), store, get_worker_settings()
        )
    except BaseException as exc:  # nothing may leave a job running: record, then let Celery see it
        log.error("job %s crashed: %s", job_id, traceback.format_exc())
        code = "out_of_memory" if isinstance(exc, MemoryError) else "internal_error"
        store.fail(
            job_id,
            {
                "code": code,
                "message": f"The worker hit an unexpected {type(exc).__name__}: {str(exc)[:300]}",
                "hint": "This is a bug or a resource limit, not your spec; the worker keeps running.",
            },
        )
        if not isinstance(exc, Exception):
            raise
        return
    if outcome.state is JobState.succeeded:
        store.succeed(job_id, outcome.result or {}, outcome.diagnosis)
    else:
        store.fail(job_id, outcome.error or {}, outcome.diagnosis, state=outcome.state)
