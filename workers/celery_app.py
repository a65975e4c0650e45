"""The worker's Celery app: `celery -A workers.celery_app worker -Q training`.

This module is imported by the worker's parent process, which then forks its pool. It must
not import TensorFlow: its threads do not survive a fork. Each child imports it right after
the fork (worker_process_init), so the first job does not pay for the import.
"""

import logging
import os

from celery.signals import worker_process_init

from core.celery_client import make_celery
from workers.diagnosis.settings import get_diagnosis_settings
from workers.settings import get_worker_settings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

settings = get_worker_settings()
get_diagnosis_settings()  # a bad DIAGNOSIS_* stops the worker now, not each job later
settings.ensure_dirs()
if not settings.data_root.is_dir():
    logging.getLogger("workers").warning(
        "DATA_ROOT %s is not a directory: jobs reading files under it will fail with "
        "file_not_found (uploads, builtin and synthetic data still work)",
        settings.data_root,
    )
app = make_celery(settings)
app.conf.worker_max_tasks_per_child = settings.max_tasks_per_child
app.conf.include = ["workers.tasks"]

log = logging.getLogger("workers")


@worker_process_init.connect
def _import_training_stack(**_: object) -> None:
    import workers.training.pipeline  # noqa: F401  (imports TensorFlow in the child only)

    log.info("worker child %s ready with TensorFlow loaded", os.getpid())
