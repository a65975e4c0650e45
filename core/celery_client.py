"""The Celery app both processes build from the same settings: one code path for both brokers.

The API only sends tasks by name through it; the worker registers the tasks on it. Celery's
result backend is off: the job store is the one source of truth.
"""

import sqlite3
from pathlib import Path

from celery import Celery
from kombu import Queue

from core.settings import CommonSettings

RUN_JOB_TASK = "training.run_job"
PREDICT_TASK = "training.predict"


def _prepare_sqlite_broker(url: str) -> None:
    # kombu creates the file itself; WAL lets the API enqueue while a worker polls.
    path = Path(url.split("sqlite:///", 1)[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def make_celery(settings: CommonSettings) -> Celery:
    if settings.broker_url.startswith("sqla+sqlite:///"):
        _prepare_sqlite_broker(settings.broker_url)
    app = Celery("accuracy_doctor", broker=settings.broker_url, set_as_current=False)
    transport_options: dict[str, object] = {}
    if settings.embedded_broker:
        # kombu's SQLAlchemy channel hands every transport option to create_engine(), so the
        # polling interval cannot travel that way; it is a class attribute of the transport.
        from kombu.transport import sqlalchemy as kombu_sqla

        kombu_sqla.Transport.polling_interval = settings.broker_polling_interval
        transport_options["connect_args"] = {"timeout": 30}
    app.conf.update(
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=settings.task_queue,
        task_queues=[Queue(settings.task_queue), Queue(settings.predict_queue)],
        task_routes={
            RUN_JOB_TASK: {"queue": settings.task_queue},
            PREDICT_TASK: {"queue": settings.predict_queue},
        },
        # A job is one long task. With early acks a busy worker still reserves one more job,
        # which then waits behind the running one while other workers idle; late acks with a
        # multiplier of 1 reserve no more jobs than there are pool processes (Celery's
        # "Optimizing" guide). A redelivered job is never run twice: the store only starts
        # a queued job.
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
        worker_send_task_events=False,
        # The embedded transport has no broadcast; the store carries cancel flags instead.
        worker_enable_remote_control=not settings.embedded_broker,
    )
    return app
