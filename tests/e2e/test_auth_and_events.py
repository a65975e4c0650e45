"""API keys scope jobs to their creator; browser links carry their own expiring token; SSE resumes."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.celery_client import RUN_JOB_TASK, make_celery
from schemas.job_spec import JobSpec
from service.auth import owner_of_key, sign_link
from service.settings import ApiSettings
from store.database import make_engine, make_session_factory
from store.job_store import JobStore
from tests.support.live_service import LiveService
from tests.support.specs import quick

KEY_A, KEY_B = "key-alpha-123", "key-bravo-456"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    service = LiveService(
        tmp_path_factory.mktemp("secured"), env_overrides={"API_KEYS": f"{KEY_A},{KEY_B}"}
    )
    service.start()
    yield service
    service.stop()


def test_api_keys_scope_jobs_and_links(secured: LiveService) -> None:
    a = {"Authorization": f"Bearer {KEY_A}"}
    b = {"Authorization": f"Bearer {KEY_B}"}
    with secured.client() as c:
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
        r = c.get("/v1/jobs")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        # without a key the answer is 401 whatever the body: its form is checked after
        r = c.post("/v1/jobs", content=b"x", headers={"content-type": "text/plain"})
        assert r.status_code == 401
        assert (
            c.get("/v1/jobs", headers={"Authorization": "Bearer wrong-key-999"}).status_code == 401
        )
        job = c.post("/v1/jobs", json=quick({"synthetic": {"n_samples": 200}}), headers=a).json()
        assert c.get(f"/v1/jobs/{job['id']}", headers=a).status_code == 200
        assert c.get(f"/v1/jobs/{job['id']}", headers=b).status_code == 404
        assert job["id"] not in [j["id"] for j in c.get("/v1/jobs", headers=b).json()["items"]]
        report_link = job["links"]["report"]
        assert "token=" in report_link and KEY_A not in report_link
        # The link works without the key; a tampered token does not.
        final = None
        for _ in range(600):
            final = c.get(f"/v1/jobs/{job['id']}", headers=a).json()
            if final["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.3)
        assert final and final["state"] == "succeeded"
        assert c.get(report_link).status_code == 200
        assert c.get(report_link[:-3] + "abc").status_code == 404
        assert c.get(f"/v1/jobs/{job['id']}/report").status_code == 401
        # a genuine link past its time says so, and where to get a fresh one
        settings = ApiSettings(api_keys=f"{KEY_A},{KEY_B}")
        old = sign_link(settings, job["id"], owner_of_key(KEY_A), now=time.time() - 7200)
        expired = c.get(f"/v1/jobs/{job['id']}/report", params={"token": old})
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_events_resume_after_last_event_id(live: LiveService) -> None:
    status = live.run(quick({"synthetic": {"n_samples": 300}}, training={"epochs": 3}))

    def read(headers: dict[str, str | bytes]) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        with (
            httpx.Client(base_url=live.url, timeout=60) as c,
            c.stream("GET", f"/v1/jobs/{status['id']}/events", headers=headers) as r,
        ):
            eid = None
            for line in r.iter_lines():
                if line.startswith("id: "):
                    eid = int(line[4:])
                elif line.startswith("event: "):
                    out.append((eid or 0, line[7:]))
                    if line == "event: end":
                        break
        return out

    full = read({})
    kinds = [k for _, k in full]
    assert kinds == ["state", "state"] + ["epoch"] * 3 + ["state", "end"]
    ids = [i for i, k in full if k != "end"]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    resumed = read({"Last-Event-ID": str(ids[3])})
    assert [k for _, k in resumed] == kinds[4:]
    # An id the service never handed out is no place to resume: the stream starts over.
    for junk in ("\u00b2".encode("latin-1"), "9" * 30, "-3", "abc"):
        assert [k for _, k in read({"Last-Event-ID": junk})] == kinds, junk
    with live.client() as c:
        r = c.get(f"/v1/jobs/{status['id']}/events", params={"after": 10**30})
        assert r.status_code == 422 and "after" in r.json()["detail"]


def test_prometheus_metrics(live: LiveService) -> None:
    with live.client() as c:
        text = c.get("/metrics").text
    assert "training_jobs{" in text and 'state="succeeded"' in text
    # every state has a series, zero or not
    for state in ("queued", "running", "canceling", "succeeded", "failed", "canceled"):
        assert f'training_jobs{{state="{state}"}}' in text, state


def test_docs_and_schema_are_served(live: LiveService) -> None:
    with live.client() as c:
        schema = c.get("/openapi.json").json()
        assert "/v1/jobs" in schema["paths"] and "/v1/datasets" in schema["paths"]
        assert "JobSpec" in schema["components"]["schemas"]
        # errors are documented as what the API sends: problem+json, not FastAPI's default
        responses = schema["paths"]["/v1/jobs"]["post"]["responses"]
        assert {"401", "404", "409", "413", "415", "422"} <= set(responses)
        assert list(responses["422"]["content"]) == ["application/problem+json"]
        assert "HTTPValidationError" not in schema["components"]["schemas"]
        layers = schema["components"]["schemas"]["ModelSpec"]["properties"]["layers"]
        assert layers["default"][0] == {"units": 64, "activation": "relu"}
        docs, redoc = c.get("/docs").text, c.get("/redoc").text
        assert "swagger" in docs.lower()
        # served from here, so the pages work on a network without internet
        for page in (docs, redoc):
            assert "cdn." not in page and "googleapis" not in page
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            assert f"/docs/assets/{asset}" in docs + redoc
            r = c.get(f"/docs/assets/{asset}")
            assert r.status_code == 200 and len(r.content) > 100_000, asset
        assert c.get("/docs/assets/../../etc/passwd").status_code == 404


def test_with_keys_only_health_is_open(secured: LiveService) -> None:
    a = {"Authorization": f"Bearer {KEY_A}"}
    with secured.client() as c:
        for path in ("/metrics", "/openapi.json", "/docs", "/redoc", "/v1/datasets"):
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers=a).status_code == 200, path


def test_one_callers_upload_is_invisible_to_another(secured: LiveService) -> None:
    a = {"Authorization": f"Bearer {KEY_A}"}
    b = {"Authorization": f"Bearer {KEY_B}"}
    csv = "a,b,y\n" + "".join(f"{i},{i % 7},{'p' if i % 3 else 'n'}\n" for i in range(90))
    with secured.client() as c:
        up = c.post("/v1/datasets", files={"file": ("a.csv", csv.encode())}, headers=a).json()
        spec = quick({"location": up["location"], "target": "y"})
        assert c.get(f"/v1/datasets/{up['id']}", headers=b).status_code == 404
        r = c.post("/v1/jobs", json=spec, headers=b)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "data.location"
        assert c.post("/v1/jobs", json=spec, headers=a).status_code == 202
    # The worker checks again: a job of B's that names A's upload (here written straight into
    # the store and queued, past the API's check) fails without reading the file.
    job_id = _enqueue_directly(secured, spec, owner=owner_of_key(KEY_B))
    with secured.client() as c:
        for _ in range(600):
            status = c.get(f"/v1/jobs/{job_id}", headers=b).json()
            if status["state"] in ("succeeded", "failed", "canceled"):
                break
            time.sleep(0.3)
    assert status["state"] == "failed" and status["error"]["code"] == "dataset_not_found"


def _enqueue_directly(service: LiveService, spec: dict[str, Any], *, owner: str) -> str:
    engine = make_engine(f"sqlite:///{service.var_dir / 'jobs.sqlite'}")
    try:
        store = JobStore(make_session_factory(engine))
        body = JobSpec.model_validate(spec).model_dump(mode="json")
        job, _ = store.create(
            spec=body, spec_sha256="-", name=None, owner=owner, idempotency_key=None, epochs=5
        )
    finally:
        engine.dispose()
    settings = ApiSettings(var_dir=service.var_dir, data_root=service.data_root)
    make_celery(settings).send_task(RUN_JOB_TASK, args=[job.id], queue=settings.task_queue)
    return job.id
