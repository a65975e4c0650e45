"""Runs one job's pipeline against the store: heartbeats, epochs out, cancel in, outcome back."""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.job_spec import JobSpec
from schemas.job_status import JobState
from store.job_store import JobStore
from store.tables import JobRow
from workers.job_store_access import WorkerStores
from workers.settings import WorkerSettings
from workers.training.errors import JobFailure
from workers.training.pipeline import Hooks, TrainingStopped, train_and_evaluate


@dataclass
class Outcome:
    state: JobState
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    diagnosis: list[dict[str, Any]] = field(default_factory=list)


class Heartbeat:
    """Beats from a thread, so a job busy in SMOTE or a long epoch is not taken for lost."""

    def __init__(self, store: JobStore, job_id: str, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(store, job_id, every), daemon=True)

    def _run(self, store: JobStore, job_id: str, every: float) -> None:
        while not self._stop.wait(every):
            # A missed beat is harmless; the next one retries.
            with contextlib.suppress(Exception):
                store.heartbeat(job_id)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_training_job(
    job: JobRow, spec: JobSpec, stores: WorkerStores, settings: WorkerSettings
) -> Outcome:
    job_id, store = job.id, stores.jobs
    limit = spec.limits.max_runtime_seconds or 3600

    def find_dataset(dataset_id: str) -> Path | None:
        # The owner check the API makes at submission, again: the job runs as its caller.
        row = stores.datasets.get(dataset_id, job.owner)
        return Path(row.path) if row is not None else None

    hooks = Hooks(
        on_epoch=lambda row: store.record_epoch(job_id, row, epochs=spec.training.epochs),
        cancel_requested=lambda: store.cancel_requested(job_id),
        deadline=time.monotonic() + limit,
        find_dataset=find_dataset,
    )
    with Heartbeat(store, job_id, settings.heartbeat_seconds):
        try:
            result = train_and_evaluate(spec, settings, hooks, settings.artifacts_dir / job_id)
        except JobFailure as exc:
            return Outcome(JobState.failed, error=exc.as_error(), diagnosis=exc.findings)
        except TrainingStopped as stop:
            if stop.reason == "canceled":
                error = {
                    "code": "canceled_by_user",
                    "message": "The job was canceled during training.",
                    "hint": None,
                }
                return Outcome(JobState.canceled, error=error, diagnosis=stop.findings)
            error = {
                "code": "timeout",
                "message": f"The job ran past its limit of {limit} seconds and was stopped.",
                "hint": "Raise limits.max_runtime_seconds, or lower training.epochs or the data size.",
            }
            return Outcome(JobState.failed, error=error, diagnosis=stop.findings)
    return Outcome(JobState.succeeded, result=result, diagnosis=result.get("diagnosis", []))
