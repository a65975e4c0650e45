"""The job store as seen from a worker child: one engine per process, made after the fork."""

import os

from store.database import create_schema, make_engine, make_session_factory
from store.job_store import JobStore
from workers.settings import get_worker_settings

_store: tuple[int, JobStore] | None = None


def worker_job_store() -> JobStore:
    global _store
    if _store is None or _store[0] != os.getpid():
        engine = make_engine(get_worker_settings().database_url)
        create_schema(engine)
        _store = (os.getpid(), JobStore(make_session_factory(engine)))
    return _store[1]
