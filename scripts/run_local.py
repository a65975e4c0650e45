"""`make run`: the API and one worker as two child processes, stopped together.

The worker runs as its own process (never inside the API), so the API never imports TensorFlow.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def main() -> int:
    # Check the configuration before starting anything: a bad value stops here, named.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from service.settings import get_settings
    from workers.diagnosis.settings import get_diagnosis_settings
    from workers.settings import get_worker_settings

    settings = get_settings()
    get_worker_settings()
    get_diagnosis_settings()
    if settings.embedded_broker:
        from core.celery_client import make_celery

        # kombu creates the embedded broker's tables on first use; here, once, rather than in
        # two workers racing to create the same table.
        with make_celery(settings).connection_for_write() as conn:
            conn.default_channel.session  # noqa: B018

    env = dict(os.environ)
    port = env.get("PORT", "8000")
    host = env.get("HOST", "127.0.0.1")
    concurrency = env.get("WORKER_CONCURRENCY", "1")
    queue = env.get("TASK_QUEUE", "training")
    predict_queue = env.get("PREDICT_QUEUE", "predict")

    def worker(queues: str, name: str, n: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                queues,
                "-n",
                f"{name}@%h",
                "--concurrency",
                n,
                "--loglevel",
                "INFO",
            ],
            env=env,
        )

    # Predictions get a worker of their own, so they are not stuck behind a long training job.
    procs = [
        worker(queue, "training", concurrency),
        worker(predict_queue, "predict", "1"),
        subprocess.Popen(
            [str(VENV_BIN / "uvicorn"), "service.main:app", "--host", host, "--port", port], env=env
        ),
    ]
    print(
        f"API on http://{host}:{port} (docs at /docs); a training worker on {queue!r} and a "
        f"prediction worker on {predict_queue!r}. Ctrl-C stops all three.",
        flush=True,
    )

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        stop()
        deadline = time.time() + 20
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs)


if __name__ == "__main__":
    sys.exit(main())
