"""How long the service takes to ingest and split a large CSV, next to pyarrow's read alone.

Generates a 1,000,000-row x 50-column CSV (numeric features, a few categorical ones and a
binary target) in a temporary directory, then times (median of 3):

- pyarrow.csv.read_csv of the file, and
- the worker's path up to training: load_data → select_feature_names → encode_target →
  split_feature_columns → split_rows → fit_preprocessor → to_resampling_matrix (all splits).

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
from workers.training.columns import (  # noqa: E402
    select_feature_names,
    split_feature_columns,
    target_values,
)
from workers.training.data_sources import load_data  # noqa: E402
from workers.training.preprocessing import (  # noqa: E402
    check_categorical,
    check_missing,
    fit_preprocessor,
)
from workers.training.splitting import split_rows  # noqa: E402
from workers.training.target import encode_target  # noqa: E402

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
    loaded = load_data(spec.data, settings)
    table = loaded.table
    names = select_feature_names(table, spec.data)
    target = encode_target(target_values(table, "label"), target_name="label")
    cols = split_feature_columns(table, names)
    if not target.keep.all():
        cols = cols.take(np.flatnonzero(target.keep))
    check_categorical(cols, spec.preprocessing)
    check_missing(cols, spec.preprocessing)
    split = split_rows(target.y, target.labels, spec.split, spec.seed)
    tr, va, te = cols.take(split.train), cols.take(split.validation), cols.take(split.test)
    pre = fit_preprocessor(tr, spec.preprocessing)
    for part in (tr, va, te):
        pre.to_resampling_matrix(part)


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
