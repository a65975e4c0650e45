"""Liveness, readiness and Prometheus metrics."""

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from starlette.concurrency import run_in_threadpool

from schemas.job_status import JobState
from service.deps import CallerDep, CeleryDep, JobStoreDep, SettingsDep
from service.problems import problem_response

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _check_broker(celery: Any) -> None:
    with celery.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@router.get("/readyz")
async def readyz(store: JobStoreDep, celery: CeleryDep, settings: SettingsDep) -> Any:
    checks: dict[str, str] = {}
    try:
        await run_in_threadpool(store.ping)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unavailable: {type(exc).__name__}"
    try:
        await run_in_threadpool(_check_broker, celery)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unavailable: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ready", "checks": checks, "embedded_broker": settings.embedded_broker}
    return problem_response(503, "Not ready", "A dependency is unavailable.", checks=checks)


@router.get("/metrics", include_in_schema=False)
def metrics(store: JobStoreDep, _caller: CallerDep) -> Response:
    registry = CollectorRegistry()
    jobs = Gauge("training_jobs", "Jobs in the store by state", ["state"], registry=registry)
    counts = store.count_by_state()
    # Every state, zeros included, so that a dashboard's series never vanish.
    for state in JobState:
        jobs.labels(state=state.value).set(counts.get(state.value, 0))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
