"""Time-resolved PAC (gpac.pac(..., window=, step=)): every method per window equals the method
applied to that window's samples cut out of the whole recording's band-passed signals (MI and HR
by gpac::mi_scatter, the others by TensorPAC's own Pac.fit on the cut phases and amplitudes);
surrogates shift within the window; a coupling that switches on half-way shows in the time
course; stretches under a small budget, distributed shards, the CLI, NaN and errors."""
import numpy as np
import pytest
import torch

import gpac

FS = 256.0
PHA = [[4.0, 8.0], [6.0, 10.0]]
AMP = [[40.0, 60.0], [60.0, 90.0], [80.0, 110.0]]
IDPAC = {"mvl": 1, "ndpac": 4, "ps": 5, "gc": 6}
ops = torch.ops.gpac


def band_signals(x):
    n = x.size(-1)
    pha_taps = ops.fir_taps(FS, [b[0] for b in PHA], [b[1] for b in PHA], n, 3)
    amp_taps = ops.fir_taps(FS, [b[0] for b in AMP], [b[1] for b in AMP], n, 6)
    return ops.filter_hilbert(x, pha_taps, amp_taps)


def windows(n, window, step):
    return [slice(s, s + window) for s in range(0, n - window + 1, step)]


@pytest.mark.parametrize("method", ["mi", "hr"])
def test_binned_methods_equal_mi_scatter_on_each_cut_window(rng, method):
    x = torch.from_numpy(rng.standard_normal((2, 3, int(FS * 9))))
    res = gpac.pac(x, FS, PHA, AMP, method=method, window=2.0, step=0.75)
    phase, amplitude = band_signals(x)
    cuts = windows(x.size(-1), 512, 192)
    assert res.mi.shape == (2, 3, len(cuts), 2, 3)
    np.testing.assert_allclose(res.window_centers.numpy(), [(c.start + 255.5) / FS for c in cuts])
    for w, cut in enumerate(cuts):
        _, sums, counts, _ = ops.mi_scatter(phase[..., cut].contiguous(), amplitude[..., cut].contiguous(), 18)
        if method == "mi":
            want = ops.mi_scatter(phase[..., cut].contiguous(), amplitude[..., cut].contiguous(), 18)[0]
        else:
            mean = sums / counts.unsqueeze(-2).clamp_min(1)
            want = (mean.amax(-1) - mean.amin(-1)) / mean.amax(-1)
        torch.testing.assert_close(res.mi[:, :, w], want, rtol=0, atol=0)


@pytest.mark.parametrize("method", list(IDPAC))
def test_other_methods_equal_tensorpac_fit_on_each_cut_window(rng, tensorpac, method):
    x = torch.from_numpy(rng.standard_normal((3, int(FS * 8))))
    res = gpac.pac(x, FS, PHA, AMP, method=method, ndpac_p=None, window=2.5, step=1.25)
    phase, amplitude = band_signals(x)
    p = tensorpac.Pac(idpac=(IDPAC[method], 0, 0), f_pha=PHA, f_amp=AMP, verbose=False)
    for w, cut in enumerate(windows(x.size(-1), 640, 320)):
        pha = phase[..., cut].permute(1, 0, 2).numpy()  # TensorPAC: (n_pha, n_epochs, n_times)
        amp = amplitude[..., cut].permute(1, 0, 2).numpy()
        want = p.fit(pha, amp, n_perm=0, p=1.0, n_jobs=1, verbose=False)  # (n_amp, n_pha, n_epochs)
        atol = 1e-6 if method == "gc" else 0
        np.testing.assert_allclose(res.mi[:, w].numpy(), want.transpose(2, 1, 0), rtol=1e-6, atol=atol)


def test_surrogates_shift_within_each_window(rng):
    """A given plan's shift (< window) applies to every window of its signal: surrogate k of
    window w is mi_scatter of the cut window with that shift."""
    x = torch.from_numpy(rng.standard_normal((2, int(FS * 6))))
    n_perm, window, step = 4, 384, 256
    shift = torch.from_numpy(rng.integers(0, window, (n_perm, 2)))
    edges = ([b[0] for b in PHA], [b[1] for b in PHA], [b[0] for b in AMP], [b[1] for b in AMP])
    mi, z, p, surrogates, _ = ops.pac(x, FS, *edges, n_perm=n_perm, shift=shift, window=window, step=step)
    phase, amplitude = band_signals(x)
    for w, cut in enumerate(windows(x.size(-1), window, step)):
        want = ops.mi_scatter(phase[..., cut].contiguous(), amplitude[..., cut].contiguous(), 18, None, shift)[3]
        torch.testing.assert_close(surrogates[:, w], want, rtol=0, atol=0)
    zw, pw = ops.surrogate_stats(mi, surrogates)
    torch.testing.assert_close(z, zw)
    torch.testing.assert_close(p, pw)
    with pytest.raises(ValueError, match="shift"):
        ops.pac(x, FS, *edges, n_perm=1, norm=0, shift=torch.full((1, 2), window), window=window, step=step)


def test_drawn_surrogates_swap_trials_per_window(rng):
    x = torch.from_numpy(rng.standard_normal((2, 4, int(FS * 5))))
    res = gpac.pac(x, FS, PHA, AMP, window=2.0, step=1.0, n_perm=6, seed=3, surrogate="swap_trials",
                   return_surrogates=True)
    assert res.surrogates.shape == (2, 4, 4, 6, 2, 3) and torch.isfinite(res.z).all()
    # every trial's phase may be borrowed: the whole recording of every signal in one chunk
    with pytest.raises(ValueError, match="swap trials with window need every signal's whole recording"):
        gpac.pac(x, FS, PHA, AMP, window=2.0, step=1.0, n_perm=6, seed=3, surrogate="swap_trials",
                 memory_budget=1 << 20)
    corrected = res.pvalues_corrected("maxstat")
    assert corrected.shape == (2, 4, 2, 3)  # trials averaged, each window corrected on its own


def test_coupling_switching_on_half_way_shows_in_the_time_course():
    off = gpac.signals.coupled_signal(FS, 20.0, 6.0, 70.0, coupling=0.0, noise=0.5, seed=1, dtype=torch.float64)
    on = gpac.signals.coupled_signal(FS, 20.0, 6.0, 70.0, coupling=1.0, noise=0.5, seed=2, dtype=torch.float64)
    x = torch.cat([off, on], -1)
    pha, amp = [[5.0, 7.0], [9.0, 11.0]], [[30.0, 40.0], [64.0, 76.0], [100.0, 110.0]]
    for method in ("mi", "mvl", "gc"):
        res = gpac.pac(x, FS, pha, amp, window=4.0, step=2.0, method=method)
        course = res.mi[0, :, 0, 1]
        centres = res.window_centers
        before, after = course[centres < 18], course[centres > 22]
        assert after.min() > before.max() and after.mean() > 4 * before.mean(), (method, course)
        assert divmod(int(res.mi[0, centres > 22].mean(0).argmax()), 3) == (0, 1)


def test_stretches_of_windows_under_small_budgets_agree(rng):
    """Under a budget too small for whole signals the windows go in stretches, each transformed
    on the same grid of segments as the whole row: with windows every 1.5 s, every other one is
    the one of windows every 3 s (whose stretches fall elsewhere), exactly, surrogates too."""
    x = torch.from_numpy(rng.standard_normal((3, int(FS * 30)))).float()
    for budget in (None, 400_000, 200_000):
        kw = dict(window=3.0, n_perm=3, seed=1, return_surrogates=True, memory_budget=budget)
        dense = gpac.pac(x, FS, PHA, AMP, step=1.5, **kw)
        sparse = gpac.pac(x, FS, PHA, AMP, step=3.0, **kw)
        torch.testing.assert_close(dense.mi[:, ::2], sparse.mi, rtol=0, atol=0)
        torch.testing.assert_close(dense.surrogates[:, ::2], sparse.surrogates, rtol=0, atol=0)


def test_memory_mapped_recording_and_float32(tmp_path, rng):
    path = tmp_path / "x.npy"
    np.save(path, rng.standard_normal((2, int(FS * 20))).astype(np.float32))
    mapped = np.load(path, mmap_mode="r")
    res = gpac.pac(mapped, FS, PHA, AMP, window=5.0, step=2.5)
    ref = gpac.pac(torch.from_numpy(np.array(mapped)).double(), FS, PHA, AMP, window=5.0, step=2.5)
    assert res.mi.dtype == torch.float32 and res.mi.shape == (2, 7, 2, 3)
    rel = ((res.mi.double() - ref.mi).abs() / ref.mi.abs()).flatten()
    assert rel.median() < 1e-4


def test_distributed_single_process_equals_pac(rng):
    from gpac import distributed

    x = torch.from_numpy(rng.standard_normal((3, int(FS * 6))))
    want = gpac.pac(x, FS, PHA, AMP, window=2.0, step=1.0, n_perm=4, seed=5)
    got = distributed.pac(x, FS, PHA, AMP, window=2.0, step=1.0, n_perm=4, seed=5)
    torch.testing.assert_close(got.mi, want.mi, rtol=0, atol=0)
    torch.testing.assert_close(got.z, want.z, rtol=0, atol=0)
    torch.testing.assert_close(got.window_centers, want.window_centers)


def test_nan_propagates_to_every_window_of_its_signal(rng):
    x = torch.from_numpy(rng.standard_normal((3, int(FS * 6))))
    x[1, 700] = float("nan")
    res = gpac.pac(x, FS, PHA, AMP, window=2.0, nan="propagate", n_perm=3, seed=1)
    assert res.mi[1].isnan().all() and res.z[1].isnan().all()
    assert torch.isfinite(res.mi[[0, 2]]).all()
    clean = gpac.pac(x[[0, 2]], FS, PHA, AMP, window=2.0, n_perm=3, seed=1)
    torch.testing.assert_close(res.mi[[0, 2]], clean.mi, rtol=0, atol=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(window=7.0), "is longer than the recording"),
    (dict(window=0.2), "shorter than one period of the slowest phase band"),
    (dict(window=2.0, step=0), "step must be a positive number"),
    (dict(window=-1.0), "window must be a positive number"),
    (dict(step=1.0), "needs a window"),
    (dict(window=2.0, step=1e-4), "shorter than one sample"),
])
def test_window_errors(kwargs, message):
    x = torch.randn(2, int(FS * 6), dtype=torch.float64)
    with pytest.raises(ValueError, match=message):
        gpac.pac(x, FS, PHA, AMP, **kwargs)


def test_window_has_no_gradient_path():
    x = torch.randn(2, int(FS * 6), dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="window .time-resolved PAC. has no gradient"):
        gpac.pac(x, FS, PHA, AMP, window=2.0)


def test_op_meta_shapes_with_windows():
    x = torch.empty(2, 3, 1000, device="meta")
    edges = ([4.0], [8.0], [60.0, 80.0], [80.0, 100.0])
    mi, z, p, surrogates, dist = ops.pac(x, FS, *edges, n_perm=5, return_dist=True, window=300, step=100)
    assert mi.shape == (2, 3, 8, 1, 2) and surrogates.shape == (2, 3, 8, 5, 1, 2) and dist.shape == (2, 3, 8, 1, 2, 18)


def test_cli_window_writes_the_time_course(tmp_path):
    import subprocess
    import sys

    off = gpac.signals.coupled_signal(FS, 10.0, 6.0, 70.0, coupling=0.0, noise=0.5, seed=1, dtype=torch.float64)
    on = gpac.signals.coupled_signal(FS, 10.0, 6.0, 70.0, coupling=1.0, noise=0.5, seed=2, dtype=torch.float64)
    np.save(tmp_path / "x.npy", torch.cat([off, on], -1).numpy())
    done = subprocess.run([sys.executable, "-m", "gpac", "compute", str(tmp_path / "x.npy"), "--fs", str(FS),
                           "--pha-bands", "5-7,9-11", "--amp-bands", "30-40,64-76", "--window", "4", "--step", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "9 windows" in done.stdout and "time course" in done.stdout
    with np.load(tmp_path / "x.pac.npz") as res:
        np.testing.assert_allclose(res["window_centers"], (np.arange(9) * 512 + 511.5) / FS)
        want = gpac.pac(torch.from_numpy(np.load(tmp_path / "x.npy")), FS, [[5, 7], [9, 11]], [[30, 40], [64, 76]],
                        window=4.0, step=2.0)
        np.testing.assert_array_equal(res["mi"], want.mi.numpy())
    assert (tmp_path / "x.pac.png").read_bytes()[:4] == b"\x89PNG"


def test_module_with_window_equals_pac_eagerly_and_scripted(rng):
    x = torch.from_numpy(rng.standard_normal((3, int(FS * 7))))
    module = gpac.PAC(FS, PHA, AMP, n_perm=8, seed=5, window=2.0, step=1.0, return_surrogates=True)
    ref = gpac.pac(x, FS, PHA, AMP, n_perm=8, seed=5, window=2.0, step=1.0, return_surrogates=True)
    assert "window=2 s, step=1 s" in repr(module)
    for run in (module, torch.jit.script(module)):
        out = run(x)
        assert out["mi"].shape == (3, 6, 2, 3)
        for name, want in (("mi", ref.mi), ("z", ref.z), ("p", ref.p), ("surrogates", ref.surrogates),
                           ("window_centers", ref.window_centers)):
            torch.testing.assert_close(out[name], want, rtol=0, atol=0)
    assert "window_centers" not in gpac.PAC(FS, PHA, AMP)(x)


@pytest.mark.parametrize("kwargs, message", [
    (dict(window=0.2), "shorter than one period of the slowest phase band"),
    (dict(step=1.0), "needs a window"),
])
def test_module_window_errors_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gpac.PAC(FS, PHA, AMP, **kwargs)
