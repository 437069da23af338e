"""The Python API: shapes, dtypes, inputs, band helpers and the PAC module."""

import numpy as np
import pytest
import torch

import gpac

PHA = [[2, 4], [4, 8], [8, 13]]
AMP = [[60, 80], [80, 110]]


def test_shapes_dtypes_and_leading_dims(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 1500)))
    for dtype in (torch.float32, torch.float64):
        mi = gpac.modulation_index(x.to(dtype), 500, PHA, AMP)
        assert mi.shape == (2, 3, 3, 2) and mi.dtype == dtype and mi.device == x.device
        assert torch.isfinite(mi).all() and (mi >= 0).all()
    flat = gpac.modulation_index(x.reshape(6, 1500), 500, PHA, AMP)
    torch.testing.assert_close(flat.reshape(2, 3, 3, 2), gpac.modulation_index(x, 500, PHA, AMP), rtol=0, atol=0)
    one = gpac.modulation_index(x[0, 0], 500, PHA, AMP)
    assert one.shape == (3, 2)


def test_accepts_numpy_lists_and_views(rng):
    x = rng.standard_normal((4, 1200))
    ref = gpac.modulation_index(torch.from_numpy(x), 400, PHA, AMP)
    torch.testing.assert_close(gpac.modulation_index(x, 400, np.array(PHA), torch.tensor(AMP)), ref)
    torch.testing.assert_close(gpac.modulation_index(x.tolist(), 400, PHA, AMP), ref)
    # A transposed (non-contiguous) view gives the same numbers.
    xt = torch.from_numpy(np.ascontiguousarray(x.T)).T
    assert not xt.is_contiguous()
    torch.testing.assert_close(gpac.modulation_index(xt, 400, PHA, AMP), ref)
    # A single [low, high] pair is one band.
    assert gpac.modulation_index(x, 400, [4, 8], AMP).shape == (4, 1, 2)


@pytest.mark.parametrize("dtype", [np.int16, np.int32])
def test_integer_recordings_are_promoted_to_float32(rng, dtype):
    x = (rng.standard_normal((2, 1500)) * 1000).astype(dtype)
    mi = gpac.modulation_index(x, 500, PHA, AMP)
    assert mi.dtype == torch.float32
    torch.testing.assert_close(mi, gpac.modulation_index(torch.from_numpy(x).float(), 500, PHA, AMP))


@pytest.mark.parametrize("preset", ["lres", "mres", "hres"])
def test_presets_equal_tensorpac_pac_vec(tensorpac, preset):
    from tensorpac.utils import pac_vec

    ref_pha, ref_amp = pac_vec(preset, preset)
    np.testing.assert_array_equal(gpac.preset_bands(preset, "phase").numpy(), ref_pha)
    np.testing.assert_array_equal(gpac.preset_bands(preset, "amplitude").numpy(), ref_amp)


def test_linear_ranges_as_the_predecessor_offered(tensorpac):
    from tensorpac.utils import pac_vec

    np.testing.assert_array_equal(gpac.linear_bands((2, 20), 10, "phase").numpy(), pac_vec("lres", "lres")[0])
    bands = gpac.linear_bands((10, 30), 3, "amplitude").numpy()
    np.testing.assert_allclose(bands, [[10 - 10 / 8, 10 + 10 / 8], [20 - 2.5, 22.5], [30 - 30 / 8, 30 + 30 / 8]])


def test_pac_module_matches_functional_and_defaults_to_lres(rng):
    x = torch.from_numpy(rng.standard_normal((3, 2000))).float()
    module = gpac.PAC(512)
    out = module(x)
    assert set(out) == {"mi"}
    torch.testing.assert_close(out["mi"], gpac.modulation_index(x, 512, "lres", "lres"), rtol=0, atol=0)
    torch.testing.assert_close(module.pha_bands_hz, gpac.preset_bands("lres", "phase"))
    ranged = gpac.PAC(512, pha_range_hz=(4, 12), pha_n_bands=5, amp_range_hz=(70, 150), amp_n_bands=3)
    expected = gpac.modulation_index(x, 512, gpac.linear_bands((4, 12), 5, "phase"),
                                     gpac.linear_bands((70, 150), 3, "amplitude"))
    torch.testing.assert_close(ranged(x)["mi"], expected, rtol=0, atol=0)
    explicit = gpac.PAC(512, pha_bands=PHA, amp_bands="lres", n_bins=12, cycle=(2, 5))
    torch.testing.assert_close(explicit(x)["mi"],
                               gpac.modulation_index(x, 512, PHA, "lres", n_bins=12, cycle=(2, 5)), rtol=0, atol=0)


def test_pac_module_scripts_saves_and_loads(rng, tmp_path):
    x = torch.from_numpy(rng.standard_normal((2, 2, 1800)))
    module = gpac.PAC(600, pha_bands=PHA, amp_bands=AMP)
    eager = module(x)["mi"]
    scripted = torch.jit.script(module)
    torch.testing.assert_close(scripted(x)["mi"], eager, rtol=0, atol=0)
    path = tmp_path / "pac.pt"
    torch.jit.save(scripted, str(path))
    torch.testing.assert_close(torch.jit.load(str(path))(x)["mi"], eager, rtol=0, atol=0)


def test_uncoupled_noise_has_small_mi_and_coupling_raises_it():
    noise = gpac.signals.coupled_signal(coupling=0.0, n_signals=8, duration=8, seed=1)
    coupled = gpac.signals.coupled_signal(coupling=0.9, n_signals=8, duration=8, seed=1)
    band_p, band_a = [[4.5, 7.5]], [[70, 90]]
    mi_noise = gpac.modulation_index(noise, 512, band_p, band_a)
    mi_coupled = gpac.modulation_index(coupled, 512, band_p, band_a)
    assert mi_coupled.min() > 10 * mi_noise.max()


@pytest.mark.parametrize("budget", [1, 200_000, 3_000_000])
def test_memory_budget_chunks_without_changing_results(rng, budget):
    """A budget below one signal's bands chunks over bands, a larger one over signals."""
    x = torch.from_numpy(rng.standard_normal((5, 2500)))
    pha, amp = "lres", [[60, 80], [70, 110], [120, 160]]
    ref = gpac.modulation_index(x, 512, pha, amp)
    got = gpac.modulation_index(x, 512, pha, amp, memory_budget=budget)
    torch.testing.assert_close(got, ref, rtol=1e-9, atol=0)
    torch.testing.assert_close(gpac.PAC(512, pha, amp, memory_budget=budget)(x)["mi"], ref, rtol=1e-9, atol=0)


def test_signals_chunked_for_the_heap_give_each_signals_own_result(rng):
    """16 float64 signals of 30720 samples at 10 amplitude bands: a 39 MB amplitude tensor, which
    the CPU path cuts into chunks of signals writing into the first chunk's buffers. Every signal's
    MI bit for bit as that signal alone gives it (one chunk, fresh buffers)."""
    x = torch.from_numpy(rng.standard_normal((16, 30720)))
    res = gpac.pac(x, 512, "lres", "lres", n_perm=2, seed=3)
    for s in (0, 6, 7, 15):  # first chunk, first of the second, last
        alone = gpac.pac(x[s : s + 1], 512, "lres", "lres", n_perm=2, seed=3)
        assert torch.equal(res.mi[s], alone.mi[0])


def test_repeated_calls_follow_the_bands_values_and_check_every_call(rng):
    # pac() keeps the checked options of a call signature: a band tensor changed in place, or
    # an equal list, must give what a fresh call gives, and bad arguments must raise each time.
    x = torch.from_numpy(rng.standard_normal((2, 1500)))
    bands = torch.tensor(PHA, dtype=torch.float64)
    first = gpac.modulation_index(x, 500, bands, AMP)
    bands[0, 1] = 5.0
    moved = gpac.modulation_index(x, 500, bands, AMP)
    fresh = gpac.modulation_index(x, 500, [[2, 5], [4, 8], [8, 13]], AMP)
    torch.testing.assert_close(moved, fresh, rtol=0, atol=0)
    assert not torch.equal(moved[:, 0], first[:, 0])
    torch.testing.assert_close(moved[:, 1:], first[:, 1:], rtol=0, atol=0)
    for _ in range(2):
        with pytest.raises(ValueError, match="n_bins"):
            gpac.pac(x, 500, PHA, AMP, n_bins=1)
        with pytest.raises(ValueError, match="bands"):
            gpac.pac(x, 500, [[2, 4, 6]], AMP)
