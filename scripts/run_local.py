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
    env = dict(os.environ)
    port = env.get("PORT", "8000")
    host = env.get("HOST", "127.0.0.1")
    concurrency = env.get("WORKER_CONCURRENCY", "1")
    queue = f"{env.get('TASK_QUEUE', 'training')},{env.get('PREDICT_QUEUE', 'predict')}"
    procs = [
        subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                concurrency,
                "--loglevel",
                "INFO",
            ],
            env=env,
        ),
        subprocess.Popen(
            [str(VENV_BIN / "uvicorn"), "service.main:app", "--host", host, "--port", port], env=env
        ),
    ]
    print(
        f"API on http://{host}:{port} (docs at /docs); one worker on queues {queue}. Ctrl-C stops both.",
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
