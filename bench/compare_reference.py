"""The service against the hand-written reference script, as ratios measured in one run.

    python bench/compare_reference.py [--samples 20000] [--epochs 20] [--repeats 3]

Starts the service the way `make run` does (embedded store and broker, one worker), then, for
each repeat, runs ../shared/bench/reference_keras.py as a fresh process and submits the same job
(SMOTE on the training split, early stopping, the step schedule) over HTTP, timing POST → succeeded.
Prints medians and the ratio service / reference. The reference pays TensorFlow's import on every
run while the service's worker keeps it loaded, so the ratio is also given against the reference's
time without imports.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.live_service import LiveService  # noqa: E402

REFERENCE = REPO.parent / "shared" / "bench" / "reference_keras.py"


def job_spec(samples: int, epochs: int) -> dict[str, object]:
    return {
        "name": "bench-reference",
        "data": {
            "synthetic": {
                "n_samples": samples,
                "n_features": 20,
                "n_informative": 10,
                "n_redundant": 5,
                "n_classes": 2,
                "n_clusters_per_class": 2,
                "weights": [0.9, 0.1],
                "random_state": 42,
            }
        },
        "balancing": {"method": "smote"},
        "model": {
            "layers": [{"units": 64, "activation": "relu"}, {"units": 128, "activation": "relu"}]
        },
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.001,
            "batch_size": 256,
            "epochs": epochs,
        },
        "callbacks": {
            "early_stopping": {"monitor": "val_loss", "patience": 5, "restore_best_weights": True},
            "lr_schedule": {"type": "step", "start_epoch": 5, "every": 2, "factor": 0.9},
        },
    }


def run_reference(reference: Path, samples: int, epochs: int) -> tuple[float, float, str]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(reference), str(samples), str(epochs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wall = time.perf_counter() - t
    imported = float(re.search(r"import ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    return wall, wall - imported, out.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--reference",
        type=Path,
        default=REFERENCE,
        help="the hand-written script (default: shared/bench/ next to the repository)",
    )
    args = ap.parse_args()
    if not args.reference.is_file():
        sys.exit(f"No reference script at {args.reference}; pass --reference PATH.")
    service = LiveService(Path(tempfile.mkdtemp(prefix="bench-"))).start()
    try:
        service.run(job_spec(500, 2))  # warm-up: the worker child's first job
        ref_wall, ref_noimport, svc_wall = [], [], []
        for _ in range(args.repeats):
            wall, noimport, metrics = run_reference(args.reference, args.samples, args.epochs)
            ref_wall.append(wall)
            ref_noimport.append(noimport)
            t = time.perf_counter()
            status = service.run(job_spec(args.samples, args.epochs), timeout=1800)
            svc_wall.append(time.perf_counter() - t)
            assert status["state"] == "succeeded", status["error"]
        res = service.result(status["id"])
    finally:
        service.stop()
    med = statistics.median
    print(f"samples={args.samples} epochs={args.epochs} repeats={args.repeats}")
    print(f"reference metrics (last run): {metrics}")
    t = res["metrics"]["test"]
    print(
        f"service test roc_auc={t['roc_auc']:.4f} f1={t['f1']:.4f} epochs_run={res['training']['epochs_run']}"
    )
    print(f"service timings (last run): {res['timings']}")
    print(f"reference wall median      {med(ref_wall):7.2f}s  {[round(x, 2) for x in ref_wall]}")
    print(f"reference w/o imports      {med(ref_noimport):7.2f}s")
    print(f"service POST->succeeded    {med(svc_wall):7.2f}s  {[round(x, 2) for x in svc_wall]}")
    print(f"ratio service/reference            {med(svc_wall) / med(ref_wall):.2f}")
    print(f"ratio service/reference w/o import {med(svc_wall) / med(ref_noimport):.2f}")


if __name__ == "__main__":
    main()
