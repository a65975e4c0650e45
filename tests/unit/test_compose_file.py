"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked against what
the issue asks and against the commands the end-to-end tests really start."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.live_service import REPO, api_argv, worker_argv


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_services_and_their_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"redis", "postgres", "api", "worker"} <= set(services)
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_redis_keeps_its_queue_on_disk(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])


def test_api_and_workers_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        deps = compose["services"][name]["depends_on"]
        for needed in ("redis", "postgres"):
            assert deps[needed]["condition"] == "service_healthy", (name, needed)


def test_app_services_use_redis_and_postgres(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        env = _env(compose["services"][name])
        assert env["BROKER_URL"].startswith("redis://redis:6379")
        assert (
            env["DATABASE_URL"].startswith("postgresql+psycopg://")
            and "@postgres:" in env["DATABASE_URL"]
        )
    assert _env(compose["services"]["api"])["HOST"] == "0.0.0.0"


def test_api_and_worker_run_the_commands_the_tests_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["command"] == api_argv("0.0.0.0", 8000)
    assert services["worker"]["command"] == worker_argv("training,predict")


def test_worker_scales_and_shares_the_artifacts_volume(compose: dict[str, Any]) -> None:
    services = compose["services"]
    worker = services["worker"]
    # --scale worker=N needs no fixed name and no host port.
    assert "container_name" not in worker and "ports" not in worker
    var_dir = _env(worker)["VAR_DIR"]
    assert _env(services["api"])["VAR_DIR"] == var_dir

    def volume_at(service: dict[str, Any]) -> str:
        return next(v.split(":")[0] for v in service["volumes"] if v.split(":")[1] == var_dir)

    assert volume_at(worker) == volume_at(services["api"]) in compose["volumes"]


def test_every_built_service_builds_the_same_image(compose: dict[str, Any]) -> None:
    images = {
        name: (s.get("build"), s.get("image"))
        for name, s in compose["services"].items()
        if name not in ("redis", "postgres")
    }
    assert len(set(images.values())) == 1 and None not in next(iter(images.values())), images
    assert (REPO / "Dockerfile").is_file()


def test_dockerfile_copies_every_package(compose: dict[str, Any]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    packages = [p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()]
    for package in packages:
        if Path(package).name != "tests":
            assert f"COPY {package} " in dockerfile, package
