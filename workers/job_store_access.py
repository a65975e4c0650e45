"""The stores as seen from a worker process: one engine per process, made after the fork."""

import os
from dataclasses import dataclass

from store.database import create_schema, make_engine, make_session_factory
from store.dataset_store import DatasetStore
from store.job_store import JobStore
from store.prediction_store import PredictionStore
from workers.settings import get_worker_settings


@dataclass(frozen=True)
class WorkerStores:
    jobs: JobStore
    predictions: PredictionStore
    datasets: DatasetStore


_stores: tuple[int, WorkerStores] | None = None


def worker_stores() -> WorkerStores:
    global _stores
    if _stores is None or _stores[0] != os.getpid():
        engine = make_engine(get_worker_settings().database_url)
        create_schema(engine)
        sessions = make_session_factory(engine)
        _stores = (
            os.getpid(),
            WorkerStores(JobStore(sessions), PredictionStore(sessions), DatasetStore(sessions)),
        )
    return _stores[1]


def worker_job_store() -> JobStore:
    return worker_stores().jobs
