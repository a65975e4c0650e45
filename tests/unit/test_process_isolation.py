"""The API process and the worker's parent never import the training stack."""

import subprocess
import sys

from tests.support.live_service import REPO

HEAVY = ("tensorflow", "keras", "sklearn", "imblearn")


def _imported_after(code: str) -> list[str]:
    probe = code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def test_api_never_imports_training_stack() -> None:
    assert _imported_after("import service.main") == []


def test_worker_parent_imports_no_tensorflow_before_fork() -> None:
    assert _imported_after("import workers.celery_app, workers.tasks") == []
