"""A real API process and a real Celery worker process, started the way `make run` starts them."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
FINAL = {"succeeded", "failed", "canceled"}


def worker_argv(queues: str, concurrency: int = 1) -> list[str]:
    """`make worker`'s command, as docker-compose.yml's worker service runs it."""
    return [
        "celery",
        "-A",
        "workers.celery_app",
        "worker",
        "-Q",
        queues,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
    ]


def api_argv(host: str, port: int) -> list[str]:
    """`make api`'s command, as docker-compose.yml's api service runs it."""
    return ["uvicorn", "service.main:app", "--host", host, "--port", str(port)]


def _in_venv(argv: list[str]) -> list[str]:
    return [str(VENV_BIN / argv[0]), *argv[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveService:
    workdir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_root(self) -> Path:
        return self.workdir / "data"

    @property
    def var_dir(self) -> Path:
        return self.workdir / "var"

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BROKER_URL"))
        }
        env.update(
            VAR_DIR=str(self.var_dir),
            DATA_ROOT=str(self.data_root),
            PYTHONUNBUFFERED="1",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        env.update(self.env_overrides)
        return env

    def start(self) -> "LiveService":
        self.data_root.mkdir(parents=True, exist_ok=True)
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        worker_log = (self.workdir / "worker.log").open("wb")
        api_log = (self.workdir / "api.log").open("wb")
        # The same commands as `make worker` and `make api` (and docker-compose.yml).
        queues = f"{env.get('TASK_QUEUE', 'training')},{env.get('PREDICT_QUEUE', 'predict')}"
        for argv, log in (
            (worker_argv(queues), worker_log),
            (api_argv("127.0.0.1", self.port), api_log),
        ):
            self.procs.append(
                subprocess.Popen(
                    _in_venv(argv),
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(
                    f"service exited early; see {self.workdir}/api.log and worker.log"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the API did not become ready within 60 s")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.procs.clear()

    def worker_pids(self) -> list[int]:
        """The worker's pool children (where jobs run)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.procs[0].pid)], capture_output=True, text=True
        )
        return [int(x) for x in out.stdout.split()]

    # --- helpers for tests ------------------------------------------------------------------
    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)

    def put_data(self, name: str, source: Path | str | bytes) -> str:
        dest = self.data_root / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            dest.write_bytes(source)
        elif isinstance(source, Path):
            shutil.copy(source, dest)
        else:
            dest.write_text(source)
        return name

    def submit(self, spec: dict[str, Any], **kw: Any) -> dict[str, Any]:
        with self.client() as c:
            r = c.post("/v1/jobs", json=spec, **kw)
        assert r.status_code == 202, r.text
        return r.json()  # type: ignore[no-any-return]

    def wait(self, job_id: str, timeout: float = 240) -> dict[str, Any]:
        deadline = time.time() + timeout
        with self.client() as c:
            while time.time() < deadline:
                status = c.get(f"/v1/jobs/{job_id}").json()
                if status["state"] in FINAL:
                    return status  # type: ignore[no-any-return]
                time.sleep(0.3)
        raise AssertionError(f"job {job_id} not final after {timeout}s: {status['state']}")

    def run(self, spec: dict[str, Any], timeout: float = 240) -> dict[str, Any]:
        return self.wait(self.submit(spec)["id"], timeout)

    def result(self, job_id: str) -> dict[str, Any]:
        with self.client() as c:
            r = c.get(f"/v1/jobs/{job_id}/result")
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]
