"""What a 20 ms pause costs the next call on this machine, for gPAC and for code that is not gPAC.

Issue 16 asks a small gPAC call after a 20 ms pause to stay within 2x of its tight-loop time.
This measures, on one thread and with the same loop, the time of a call in a tight loop and
right after ``time.sleep(0.02)`` for:

* gPAC's small call (``gpac.modulation_index``, 1 x 512 samples, lres x lres, float32);
* torch's own FFTs of about the same work (a float64 ``rfft`` / ``irfft`` pair on 10 x 864);
* a NumPy loop whose data stays in L1 (125 sums of a 16 KB array), whose footprint is tiny;
* the same NumPy loop after the pause and 3 ms of NumPy work, which shows whether the penalty
  fades with work done (a clock or power state) rather than with data touched (caches).

Medians of ``--runs`` calls each, in blocks of consecutive calls per condition, the blocks in
turn for three rounds; one thread (``torch.set_num_threads(1)``).

    .venv/bin/python benchmarks/pause_penalty.py [--runs 60] [--out results.json]
"""
from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import gpac

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_commit, times_after, write_results  # noqa: E402

PAUSE_S = 0.02
ROUNDS = 3


def spin_numpy(seconds: float, a: np.ndarray) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a.sum()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/<date>-pause-penalty-cpu.json)")
    args = parser.parse_args()
    if args.runs < ROUNDS:
        parser.error(f"--runs must be at least {ROUNDS}, got {args.runs}")
    torch.set_num_threads(1)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 512)).astype(np.float32))
    pha, amp = gpac.preset_bands("lres", "phase"), gpac.preset_bands("lres", "amplitude")
    spectra_in = torch.randn(10, 864, dtype=torch.float64)
    small = np.ones(2048)
    cases = {
        "gpac_small": lambda: gpac.modulation_index(x, 512.0, pha, amp),
        "torch_fft_pair": lambda: torch.fft.irfft(torch.fft.rfft(spectra_in), 864),
        "numpy_sums_16kb": lambda: [small.sum() for _ in range(125)],
    }
    results = {"device": "cpu", "torch": torch.__version__, "commit": git_commit(),
               "date": datetime.date.today().isoformat(), "threads": 1, "pause_s": PAUSE_S, "runs": args.runs,
               "command": f"python benchmarks/pause_penalty.py --runs {args.runs}", "cases": []}
    print(f"{'case':<18}{'tight us':>10}{'after pause us':>16}{'ratio':>7}{'pause + 3 ms work us':>22}{'ratio':>7}")
    for name, fn in cases.items():
        for _ in range(20):
            fn()
        before = {"tight": lambda: None, "after_pause": lambda: time.sleep(PAUSE_S),
                  "after_pause_and_3ms_numpy": lambda: (time.sleep(PAUSE_S), spin_numpy(0.003, small))}
        runs = {key: [] for key in before}
        # Blocks of consecutive calls per condition (a tight loop is a loop), the blocks in turn
        # for ROUNDS rounds, so that the machine's drift hits each condition alike.
        for _ in range(ROUNDS):
            for key, prepare in before.items():
                runs[key] += times_after(fn, prepare, args.runs // ROUNDS)
        row = {"name": name}
        for key, times in runs.items():
            row[f"{key}_s"] = statistics.median(times)
            row[f"{key}_runs_s"] = times
        row["after_pause_over_tight"] = row["after_pause_s"] / row["tight_s"]
        row["after_pause_and_work_over_tight"] = row["after_pause_and_3ms_numpy_s"] / row["tight_s"]
        results["cases"].append(row)
        print(f"{name:<18}{row['tight_s'] * 1e6:>10.1f}{row['after_pause_s'] * 1e6:>16.1f}"
              f"{row['after_pause_over_tight']:>7.2f}{row['after_pause_and_3ms_numpy_s'] * 1e6:>22.1f}"
              f"{row['after_pause_and_work_over_tight']:>7.2f}", flush=True)
    write_results(results, args.out, f"{results['date']}-pause-penalty-cpu.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
