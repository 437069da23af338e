"""gpac.distributed with Gloo on 2 CPU processes (torchrun): the same MI, z and p as one
gpac.pac call, whatever the sharding; a failing rank fails the whole job with its error."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import gpac
import gpac.distributed as gd

WORKER = Path(__file__).with_name("distributed_worker.py")


def torchrun(n_procs, data, options, out, timeout=180):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n_procs}",
           str(WORKER), str(data), json.dumps(options), str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def dataset(tmp_path, rng):
    """5 channels x 4 trials: 20 signals, an odd split over 2 ranks (channels 2 + 3 for swap_trials)."""
    x = rng.standard_normal((5, 4, 1536))
    path = tmp_path / "data.npy"
    np.save(path, x)
    return path, torch.from_numpy(x)


@pytest.mark.parametrize("options", [
    dict(n_perm=12, seed=5),
    dict(n_perm=12, seed=5, independent=True, surrogate="time_lag", return_dist=True),
    dict(n_perm=12, seed=5, surrogate="swap_trials"),
    dict(n_perm=12, seed=5, surrogate="swap_trials", method="ndpac"),
])
def test_two_gloo_ranks_give_the_single_process_result(dataset, tmp_path, options):
    path, x = dataset
    run = torchrun(2, path, options, tmp_path / "out.npz")
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    ref = gpac.pac(x, 512.0, "lres", "lres", progress=False, **options)
    for name in ("mi", "z", "p") + (("amp_dist",) if options.get("return_dist") else ()):
        assert np.array_equal(got[name], getattr(ref, name).numpy()), name


@pytest.mark.parametrize("options", [dict(n_perm=13, seed=4), dict(n_perm=9, seed=4, surrogate="swap_trials")])
def test_one_recording_splits_its_surrogates(tmp_path, rng, options):
    """Fewer signals (or channels) than ranks: each rank computes a block of the surrogates, rank 0
    the z and p from all of them; the same as one process."""
    x = rng.standard_normal((1, 3, 2048)) if options.get("surrogate") == "swap_trials" else rng.standard_normal(2048)
    np.save(tmp_path / "one.npy", x)
    run = torchrun(2, tmp_path / "one.npy", options, tmp_path / "out.npz")
    assert run.returncode == 0, run.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    ref = gpac.pac(torch.from_numpy(x), 512.0, "lres", "lres", progress=False, **options)
    for name in ("mi", "z", "p"):
        assert np.array_equal(got[name], getattr(ref, name).numpy()), name


def test_shards_with_a_json_index(dataset, tmp_path):
    path, x = dataset
    shards = tmp_path / "shards"
    run = torchrun(2, path, dict(n_perm=6, seed=1, out_dir=str(shards)), tmp_path / "unused.npz")
    assert run.returncode == 0, run.stderr[-3000:]
    index = json.loads((shards / "index.json").read_text())
    assert [s["signals"] for s in index["shards"]] == [[0, 10], [10, 20]]
    got = gd.load_shards(shards)
    ref = gpac.pac(x, 512.0, "lres", "lres", n_perm=6, seed=1, progress=False)
    assert torch.equal(got.mi, ref.mi) and torch.equal(got.z, ref.z) and torch.equal(got.p, ref.p)


def test_a_failing_rank_fails_the_job_with_its_error(tmp_path, rng):
    """A NaN in rank 1's shard: both ranks stop with rank 1's message, no hang."""
    x = rng.standard_normal((4, 1536))
    x[3, 100] = np.nan
    np.save(tmp_path / "bad.npy", x)
    run = torchrun(2, tmp_path / "bad.npy", dict(n_perm=4, seed=0), tmp_path / "out.npz", timeout=120)
    assert run.returncode != 0
    assert "rank 1 failed: ValueError: x holds 1 non-finite value(s)" in run.stderr
    assert not (tmp_path / "out.npz").exists()


def test_shard_ranges_cover_every_unit_once():
    for units in range(0, 30):
        for ranks in range(1, 9):
            ranges = [gd.shard_range(units, ranks, r) for r in range(ranks)]
            assert ranges[0][0] == 0 and ranges[-1][1] == units
            assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_cli_under_torchrun(dataset, tmp_path):
    """`torchrun --nproc-per-node 2 -m gpac compute ...` writes what the single-process CLI writes."""
    path, _ = dataset
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    args = [str(path), "--fs", "512", "--n-perm", "8", "--seed", "2"]
    one = subprocess.run([sys.executable, "-m", "gpac", "compute", *args, "--out", str(tmp_path / "one.npz")],
                         capture_output=True, text=True, env=env, timeout=180)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                          "-m", "gpac", "compute", *args, "--out", str(tmp_path / "two.npz")],
                         capture_output=True, text=True, env=env, timeout=180)
    assert two.returncode == 0, two.stderr[-2000:]
    assert "2 ranks" in two.stdout
    a, b = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    for name in ("mi", "z", "p", "amp_dist"):
        assert np.array_equal(a[name], b[name]), name
