"""An hour-long recording from a memory-mapped .npy: time and peak RSS of gpac.pac with surrogates,
or of time-resolved PAC (--window seconds, --step seconds).

    python benchmarks/bench_long.py [--channels 64] [--minutes 60] [--fs 1000] [--bands lres]
                                    [--n-perm 200] [--runner python|gpac_run] [--window 10 --step 5]

Writes white noise (float32, seed 0) to a temporary .npy, then runs one fresh process on it:
`gpac.pac(numpy.load(path, mmap_mode='r'), ...)` (runner python) or the C++ `gpac_run` program
(runner gpac_run, build/gpac_run). Peak RSS is that process's VmHWM: the mapped recording's pages
count while resident, the input is never copied. The python runner also samples the child's
anonymous RSS (RssAnon, every 50 ms): what the call allocates, without the input's page cache,
against --memory-budget-mib (README, "Long recordings"). Rows longer than the memory budget allows are
filtered in overlapping windows (README, "Long recordings").
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, git_commit, write_results  # noqa: E402

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, torch, gpac
from common import outputs_bytes, peak_rss_bytes, status_bytes
path, fs, bands, n_perm = sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
window, budget = json.loads(sys.argv[6]), int(sys.argv[7])
x = np.load(path, mmap_mode="r")
before = {"rss_before_call_bytes": status_bytes("VmRSS:"), "anon_before_call_bytes": status_bytes("RssAnon:")}
start = time.perf_counter()
res = gpac.pac(x, fs, bands, bands, n_perm=n_perm, seed=0, progress=False, memory_budget=budget or None, **window)
seconds = time.perf_counter() - start
assert torch.isfinite(res.mi).all() and (n_perm == 0 or torch.isfinite(res.z).all())
print(json.dumps({"seconds": seconds, "rss_peak_bytes": peak_rss_bytes(), "mi_shape": list(res.mi.shape),
                  "outputs_bytes": outputs_bytes(res), **before}))
"""


def sampled_anon_peak(proc: subprocess.Popen) -> int:
    """The largest RssAnon of a running child, read every 50 ms from /proc (the peak of what the
    process allocated, without the page cache of its memory-mapped input)."""
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            break
        time.sleep(0.05)
    return peak


def write_recording(path: Path, channels: int, n_times: int) -> None:
    """White noise, written a channel block at a time so that this process stays small too."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(channels, n_times))
    rng = np.random.default_rng(0)
    for c in range(channels):
        out[c] = rng.standard_normal(n_times, dtype=np.float32)
    out.flush()
    del out


def run_gpac_run(path: Path, fs: float, bands: str, n_perm: int, window: dict, tmp: Path) -> dict:
    config = tmp / "config.json"
    config.write_text(json.dumps({"fs": fs, "pha_bands": bands, "amp_bands": bands, "n_perm": n_perm, "seed": 0,
                                  **window}))
    exe = Path(os.environ.get("GPAC_RUN", ROOT / "build" / "gpac_run"))
    start = time.perf_counter()
    # /usr/bin/time reports the child's peak RSS (maxrss of a fresh exec).
    run = subprocess.run(["/usr/bin/time", "-f", "%M", str(exe), str(config), str(path), str(tmp / "out.json")],
                         capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_peak_bytes": int(run.stderr.strip().splitlines()[-1]) * 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--fs", type=float, default=1000)
    parser.add_argument("--bands", default="lres")
    parser.add_argument("--n-perm", type=int, default=200)
    parser.add_argument("--runner", choices=["python", "gpac_run"], default="python")
    parser.add_argument("--window", type=float, help="time-resolved PAC: window in seconds")
    parser.add_argument("--step", type=float, help="seconds between windows (default: --window)")
    parser.add_argument("--memory-budget-mib", type=int, default=0, help="gpac's memory_budget (0: its default)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    n_times = int(args.minutes * 60 * args.fs)
    window = {} if args.window is None else {"window": args.window, "step": args.step or args.window}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "recording.npy"
        write_recording(path, args.channels, n_times)
        if args.runner == "python":
            with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
                proc = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).resolve().parent), str(path),
                                         str(args.fs), args.bands, str(args.n_perm), json.dumps(window),
                                         str(args.memory_budget_mib << 20)], stdout=out, stderr=err, text=True)
                anon_peak = sampled_anon_peak(proc)
                out.seek(0)
                err.seek(0)
                if proc.wait() != 0:
                    print(err.read(), file=sys.stderr)
                    return proc.returncode
                measured = json.loads(out.read().strip().splitlines()[-1])
            measured["anon_peak_sampled_bytes"] = anon_peak
            measured["anon_peak_above_call_bytes"] = anon_peak - measured["anon_before_call_bytes"]
        else:
            measured = run_gpac_run(path, args.fs, args.bands, args.n_perm, window, tmp)
    import torch

    results = {
        "device": "cpu", "cores": os.cpu_count(), "torch": torch.__version__, "commit": git_commit(),
        "date": datetime.date.today().isoformat(), "runner": args.runner,
        "command": "python benchmarks/bench_long.py " + " ".join(sys.argv[1:]),
        "channels": args.channels, "n_times": n_times, "fs": args.fs, "bands": args.bands, "n_perm": args.n_perm,
        "input_bytes": args.channels * n_times * 4, "memory_budget_mib": args.memory_budget_mib or 512, **window,
        **measured,
    }
    anon = measured.get("anon_peak_above_call_bytes")
    print(f"{args.runner}: {args.channels} ch x {args.minutes:g} min at {args.fs:g} Hz, {args.bands}, "
          f"{args.n_perm} surrogates{', windows ' + str(window) if window else ''}: {measured['seconds']:.1f} s, "
          f"peak RSS {measured['rss_peak_bytes'] / 2**30:.2f} GiB"
          + ("" if anon is None else f", anonymous memory above the call's start {anon / 2**20:.0f} MiB (sampled)"))
    kind = "long-windows" if window else "long"
    write_results(results, args.out, f"{results['date']}-{kind}-{args.runner}-cpu-{os.cpu_count()}cores.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
