"""What the benchmark scripts share: provenance, TensorPAC set-up, timing, result files."""
from __future__ import annotations

import datetime
import json
import logging
import os
import statistics
import subprocess
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def git_commit() -> str:
    """The checked-out commit ('-dirty' when tracked files differ from it); GPAC_COMMIT where there is no .git."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        return os.environ.get("GPAC_COMMIT", "unknown")
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def cpu_results_header(tensorpac, command: str) -> dict:
    """What every CPU benchmark's JSON starts with: the machine, the libraries, the commit, the
    date and the command."""
    import numpy as np
    import torch

    return {"device": "cpu", "cpu": cpu_name(), "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "tensorpac": tensorpac.__version__, "numpy": np.__version__,
            "commit": git_commit(), "date": datetime.date.today().isoformat(), "command": command}


def peak_rss_bytes() -> int:
    """This process's peak resident set since it was exec'd (VmHWM).

    Not ru_maxrss: Linux carries the parent's peak across fork and exec into
    the child's ru_maxrss, so a child started by a big benchmark process would
    report the parent's memory.
    """
    return status_bytes("VmHWM:")


def status_bytes(key: str) -> int:
    """A size field of /proc/self/status (VmHWM:, VmRSS:, RssAnon: ...), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def outputs_bytes(res) -> int:
    """Bytes of a gpac.pac result's outputs (the measure, z, p, every surrogate): what memory_budget's
    bound adds to the budget."""
    return sum(t.numel() * t.element_size() for t in (res.mi, res.z, res.p, res.all_surrogates) if t is not None)


def quiet_tensorpac():
    """TensorPAC with its logging and its import-time warnings silenced."""
    warnings.filterwarnings("ignore", category=SyntaxWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import tensorpac

    tensorpac.set_log_level("error")
    logging.getLogger("tensorpac").setLevel(logging.ERROR)
    return tensorpac


def cpu_name() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else platform.processor()."""
    import platform

    return next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")), platform.processor())


def times_after(fn, prepare, runs: int) -> list:
    """Wall-clock seconds of `runs` calls of fn(), each right after an untimed prepare()."""
    times = []
    for _ in range(runs):
        prepare()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def wall_median(fn, runs: int, warmup: int = 1) -> float:
    """Median wall-clock seconds of fn() over `runs` after `warmup` calls."""
    for _ in range(warmup):
        fn()
    return statistics.median(times_after(fn, lambda: None, runs))


def write_results(results: dict, out: Path | None, default_name: str) -> Path:
    path = out or RESULTS / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {path}")
    return path
