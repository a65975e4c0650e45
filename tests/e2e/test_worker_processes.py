"""The real worker, as `make worker` starts it: TensorFlow lives in the pool children only.
Its threads do not survive a fork, so the parent that forks them must never load it."""

import time
from pathlib import Path

from tests.support.live_service import LiveService


def _maps_tensorflow(pid: int) -> bool:
    return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()


def test_worker_parent_never_loads_tensorflow_and_children_do(live: LiveService) -> None:
    parent = live.procs[0].pid
    deadline = time.time() + 120
    children: list[int] = []
    while time.time() < deadline:
        children = live.worker_pids()
        if children and all(_maps_tensorflow(pid) for pid in children):
            break
        time.sleep(0.5)
    assert children, "the worker has no pool children"
    assert all(_maps_tensorflow(pid) for pid in children), "children did not load TensorFlow"
    assert not _maps_tensorflow(parent), "the worker's parent process loaded TensorFlow"
