"""How long the service takes to ingest and split a large CSV, next to pyarrow's read alone.

Generates a 1,000,000-row x 50-column CSV (numeric features, a few categorical ones and a
binary target) in a temporary directory, then times (median of 3):

- pyarrow.csv.read_csv of the file, and
- the worker's own path up to balancing, `prepare_data`: load → target → checks → stratified
  split → data evidence (duplicates, single-feature AUC) → fit imputation and scaling on the
  training rows → the matrices of all three splits.

Run: .venv/bin/python bench/ingest_benchmark.py [--rows N] [--repeats 3] [--profile]
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.job_spec import JobSpec  # noqa: E402
from workers.settings import WorkerSettings  # noqa: E402
from workers.training.prepared_data import prepare_data  # noqa: E402
from workers.training.run_state import RunState  # noqa: E402

N_NUMERIC = 45
N_CATEGORICAL = 4


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {}
    for i in range(N_NUMERIC):
        cols[f"x{i}"] = pa.array(np.round(rng.normal(size=rows), 5))
    levels = [np.array([f"c{j}_{k}" for k in range(n)]) for j, n in enumerate((3, 7, 12, 30))]
    for j in range(N_CATEGORICAL):
        cols[f"cat{j}"] = pa.array(levels[j][rng.integers(0, len(levels[j]), size=rows)])
    cols["label"] = pa.array(np.where(rng.random(rows) < 0.1, "yes", "no"))
    pacsv.write_csv(pa.table(cols), path)


def pyarrow_read(path: Path) -> None:
    pacsv.read_csv(path)


def service_ingest(path: Path, settings: WorkerSettings) -> None:
    spec = JobSpec.model_validate(
        {
            "data": {"location": path.name, "target": "label"},
            "preprocessing": {"impute": "mean"},
        }
    )
    prepare_data(spec, settings, RunState(), find_dataset=lambda _id: None)


def median_time(fn: Callable[[], None], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile one service run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "big.csv"
        t = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows x 50 columns ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f}s"
        )
        settings = WorkerSettings(data_root=root, var_dir=root / "var")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(service_ingest, path, settings)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        arrow, arrow_all = median_time(lambda: pyarrow_read(path), args.repeats)
        service, service_all = median_time(lambda: service_ingest(path, settings), args.repeats)
        print(
            f"pyarrow.csv.read_csv        median {arrow:7.2f}s  runs {[round(x, 2) for x in arrow_all]}"
        )
        print(
            f"service ingest + split      median {service:7.2f}s  runs {[round(x, 2) for x in service_all]}"
        )
        print(f"ratio service / pyarrow     {service / arrow:.2f}x")


if __name__ == "__main__":
    main()
