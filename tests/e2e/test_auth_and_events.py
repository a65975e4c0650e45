"""API keys scope jobs to their creator; browser links carry their own expiring token; SSE resumes."""

from collections.abc import Iterator

import httpx
import pytest

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
            import time

            time.sleep(0.3)
        assert final and final["state"] == "succeeded"
        assert c.get(report_link).status_code == 200
        assert c.get(report_link[:-3] + "abc").status_code == 404
        assert c.get(f"/v1/jobs/{job['id']}/report").status_code == 401


def test_events_resume_after_last_event_id(live: LiveService) -> None:
    status = live.run(quick({"synthetic": {"n_samples": 300}}, training={"epochs": 3}))

    def read(headers: dict[str, str]) -> list[tuple[int, str]]:
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


def test_prometheus_metrics(live: LiveService) -> None:
    with live.client() as c:
        text = c.get("/metrics").text
    assert "training_jobs{" in text and 'state="succeeded"' in text
