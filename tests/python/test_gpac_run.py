"""The C++ program gpac_run on files NumPy wrote, against gpac.pac."""
import json
import os
import subprocess

import numpy as np
import pytest

import gpac

GPAC_RUN = os.environ.get("GPAC_RUN")
pytestmark = pytest.mark.skipif(not GPAC_RUN or not os.path.exists(GPAC_RUN),
                                reason="GPAC_RUN (the built gpac_run) is not set: tests/run_all.py sets it")


def run(tmp_path, config, signals, name="out.json"):
    (tmp_path / "cfg.json").write_text(json.dumps(config))
    np.save(tmp_path / "x.npy", signals)
    return subprocess.run([GPAC_RUN, str(tmp_path / "cfg.json"), str(tmp_path / "x.npy"), str(tmp_path / name)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("layout", ["float64", "float32", "int16", "fortran", "one-signal"])
def test_gpac_run_equals_gpac_pac(rng, tmp_path, layout):
    x = rng.standard_normal((3, 1800)) * 100
    signals = {"float64": x, "float32": x.astype(np.float32), "int16": x.astype(np.int16),
               "fortran": np.asfortranarray(x), "one-signal": x[0]}[layout]
    config = {"fs": 512, "pha_bands": [[4, 8], [8, 12]], "amp_bands": "lres", "n_perm": 15, "seed": 7,
              "rng": "tensorpac"}
    done = run(tmp_path, config, signals)
    assert done.returncode == 0, done.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    ref = gpac.pac(signals, 512, [[4, 8], [8, 12]], "lres", n_perm=15, seed=7, rng="tensorpac")
    for name in ("mi", "z", "p"):
        np.testing.assert_allclose(np.array(out[name]), getattr(ref, name).numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(out["amp_bands"], gpac.preset_bands("lres", "amplitude").numpy())


@pytest.mark.parametrize("window,step", [(2.0, 0.5), (1.0009765625, 0.5009765625)])
def test_gpac_run_windows_equal_gpac_pac(rng, tmp_path, window, step):
    """Windowed PAC through the program and through Python: the same windows (window and step of
    512.5 and 256.5 samples round half away from zero in both) and the same centres."""
    x = rng.standard_normal((2, 4000))
    config = {"fs": 512, "pha_bands": [[4, 8]], "amp_bands": [[60, 90], [90, 120]], "window": window, "step": step}
    done = run(tmp_path, config, x)
    assert done.returncode == 0, done.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    ref = gpac.pac(x, 512, [[4, 8]], [[60, 90], [90, 120]], window=window, step=step)
    np.testing.assert_allclose(out["window_centers"], ref.window_centers.numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.array(out["mi"]), ref.mi.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("config,message", [
    ({"fs": 512, "amp_bands": [[200, 300]]}, "reaches the Nyquist frequency"),
    ({"fs": 512, "surrogates": 10}, "unknown key 'surrogates'"),
    ({"fs": 512, "pha_bands": {"range": [2, 20]}}, "n_bands"),
])
def test_gpac_run_refuses_bad_configs(rng, tmp_path, config, message):
    done = run(tmp_path, config, rng.standard_normal((2, 1000)))
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_gpac_run_reports_nan_samples(rng, tmp_path):
    x = rng.standard_normal((2, 1000))
    x[1, 321] = np.nan
    done = run(tmp_path, {"fs": 512}, x)
    assert done.returncode == 2 and "index [1, 321]" in done.stderr, done.stderr


def test_gpac_run_refuses_big_endian_and_complex_files(tmp_path):
    for array, message in [(np.zeros((2, 100), dtype=">f8"), "big-endian"),
                           (np.zeros((2, 100), dtype=np.complex128), "not supported")]:
        np.save(tmp_path / "x.npy", array)
        (tmp_path / "cfg.json").write_text('{"fs": 512}')
        done = subprocess.run([GPAC_RUN, str(tmp_path / "cfg.json"), str(tmp_path / "x.npy"),
                               str(tmp_path / "o.json")], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr, done.stderr
