"""The command line (python -m gpac demo, compute, bench) and the project's two set-up commands."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_finds_the_built_in_coupling_and_writes_a_png(tmp_path):
    out = tmp_path / "comod.png"
    run = subprocess.run([sys.executable, "-m", "gpac", "demo", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    peak = r"peak: MI = [0-9.e-]+ at phase band \[4\.5, 7\.5\] Hz \(centre 6\) x amplitude band \[70, 90\] Hz"
    assert re.search(peak, run.stdout), run.stdout
    assert "peak at the built-in coupling: yes" in run.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert str(out.resolve()) in run.stdout


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:sh|bash|shell)\n(.*?)```", text, re.S)
    assert block is not None and text.index(block.group(0)) < text.index("\n## "), \
        "README must start with the set-up block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_two_commands_and_ci_runs_the_second():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("python -m gpac demo")
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines == [commands[1]]
    assert "run_all.py" in commands[1]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "gpac", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_compute_help_explains_every_option():
    done = run_cli("compute", "--help")
    assert done.returncode == 0
    for option in ("--fs", "--key", "--channels", "--skip-rows", "--pha-bands", "--amp-bands", "--pha-range",
                   "--amp-range", "--n-bins", "--n-perm", "--surrogate", "--norm", "--seed", "--rng",
                   "--independent", "--device", "--dtype", "--memory-budget", "--progress", "--out", "--png"):
        assert option in done.stdout, option
    assert "default" in done.stdout  # defaults are shown


def test_compute_on_npy_npz_and_csv(rng, tmp_path):
    import numpy as np
    import torch

    import gpac

    x = rng.standard_normal((3, 1500))
    ref = gpac.pac(x, 512, [[4, 8], [8, 12]], "lres", n_perm=10, seed=1)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "x.npz", signals=x, fs=512.0)
    np.savetxt(tmp_path / "x.csv", x.T, delimiter=",", header="ch0,ch1,ch2", comments="")
    for source, extra in [("x.npy", ["--fs", 512]), ("x.npz", ["--key", "signals"]),
                          ("x.csv", ["--fs", 512, "--skip-rows", 1])]:
        out = tmp_path / f"{source}.pac.npz"
        done = run_cli("compute", tmp_path / source, *extra, "--pha-bands", "4-8,8-12", "--n-perm", 10, "--seed", 1,
                       "--out", out)
        assert done.returncode == 0, done.stderr
        with np.load(out) as res:
            np.testing.assert_allclose(res["mi"], ref.mi.numpy(), rtol=1e-10)
            np.testing.assert_allclose(res["z"], ref.z.numpy(), rtol=1e-8, atol=1e-12)
            assert res["amp_dist"].shape == (3, 2, 10, 18)
        assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert torch.is_tensor(ref.mi)


def test_compute_with_other_methods(rng, tmp_path):
    import numpy as np

    import gpac

    x = rng.standard_normal((2, 1500))
    np.save(tmp_path / "x.npy", x)
    for method in ("mvl", "ndpac", "ps", "gc"):
        out = tmp_path / f"{method}.npz"
        done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--method", method, "--ndpac-p", 1, "--n-perm", 6,
                       "--out", out)
        assert done.returncode == 0, done.stderr
        ref = gpac.pac(x, 512, "lres", "lres", method=method, ndpac_p=1.0, n_perm=6, seed=0)
        with np.load(out) as res:
            assert str(res["method"]) == method and "amp_dist" not in res and "mi" not in res
            np.testing.assert_allclose(res[method], ref.mi.numpy(), rtol=1e-10)
            np.testing.assert_allclose(res["z"], ref.z.numpy(), rtol=1e-8, atol=1e-12)
        assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_compute_with_wavelets(rng, tmp_path):
    import numpy as np

    import gpac

    x = rng.standard_normal((2, 1500))
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "w.npz"
    done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--dcomplex", "wavelet", "--width", 5, "--out", out)
    assert done.returncode == 0, done.stderr
    ref = gpac.pac(x, 512, "lres", "lres", dcomplex="wavelet", width=5)
    with np.load(out) as res:
        np.testing.assert_allclose(res["mi"], ref.mi.numpy(), rtol=1e-10)
    assert not np.allclose(ref.mi.numpy(), gpac.pac(x, 512, "lres", "lres").mi.numpy(), rtol=1e-3)


def test_compute_writes_preferred_phase_polar_plot(tmp_path, tensorpac):
    import numpy as np

    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=512, n_times=3000, n_epochs=2, noise=0.5,
                                                 rnd_state=1)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "c.npz"
    done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--polar", "--out", out)
    assert done.returncode == 0, done.stderr
    assert out.with_suffix(".polar.png").read_bytes()[:4] == b"\x89PNG" and "polar plot" in done.stdout
    done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--polar", "--method", "mvl", "--out", out)
    assert done.returncode != 0 and "--polar needs the amplitude distributions" in done.stderr


def test_compute_outlines_significance_and_reads_tensorpac_npz(tmp_path, tensorpac):
    import numpy as np

    import gpac

    x, _ = tensorpac.signals.pac_signals_wavelet(f_pha=6, f_amp=90, sf=512, n_times=4000, n_epochs=3, noise=0.3,
                                                 rnd_state=1)
    np.savez(tmp_path / "example.npz", data=x, sf=512.0)  # TensorPAC's example data names the rate 'sf'
    out = tmp_path / "r.npz"
    done = run_cli("compute", tmp_path / "example.npz", "--method", "mvl", "--n-perm", 200, "--plot", "z",
                   "--mcp", "fdr", "--out", out)
    assert done.returncode == 0, done.stderr
    ref = gpac.pac(x, 512, "lres", "lres", method="mvl", n_perm=200, seed=0)
    with np.load(out) as res:
        assert float(res["fs"]) == 512.0
        np.testing.assert_allclose(res["p_corrected"], ref.pvalues_corrected("fdr").numpy(), rtol=1e-12)
        assert (res["p_corrected"] < 0.05).any() and (res["p_corrected"] == 1).any()
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    done = run_cli("compute", tmp_path / "example.npz", "--plot", "z", "--out", out)
    assert done.returncode != 0 and "--plot z needs surrogates" in done.stderr


def test_compute_reports_bad_input_clearly(rng, tmp_path):
    import numpy as np

    done = run_cli("compute", tmp_path / "missing.npy", "--fs", 512)
    assert done.returncode != 0 and "no such file" in done.stderr
    np.save(tmp_path / "x.npy", rng.standard_normal((2, 1000)))
    done = run_cli("compute", tmp_path / "x.npy")
    assert done.returncode != 0 and "--fs is required" in done.stderr
    done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--amp-bands", "200-300")
    assert done.returncode != 0 and "Nyquist" in done.stderr
    done = run_cli("compute", tmp_path / "x.npy", "--fs", 512, "--pha-bands", "4to8")
    assert done.returncode != 0 and "low-high" in done.stderr


def test_erpac_writes_results_and_a_time_frequency_image(tmp_path):
    import numpy as np
    import torch

    import gpac

    off = gpac.signals.coupled_signal(256.0, 2.0, 6.0, 70.0, coupling=0.0, noise=0.3, n_signals=40, seed=1,
                                      dtype=torch.float64)
    on = gpac.signals.coupled_signal(256.0, 2.0, 6.0, 70.0, coupling=1.0, noise=0.3, n_signals=40, seed=2,
                                     dtype=torch.float64)
    x = torch.cat([off, on], -1).numpy()
    np.savez(tmp_path / "trials.npz", x=x, fs=256.0)
    bands = ("--pha-bands", "2-4,5-7,9-11", "--amp-bands", "30-40,64-76,100-110")
    done = run_cli("erpac", tmp_path / "trials.npz", *bands, "--mcp", "bonferroni")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "trials.erpac.npz"
    ref = gpac.erpac(x, 256.0, [[2, 4], [5, 7], [9, 11]], [[30, 40], [64, 76], [100, 110]], mcp="bonferroni")
    with np.load(out) as res:
        np.testing.assert_array_equal(res["erpac"], ref.erpac.numpy())
        np.testing.assert_array_equal(res["p"], ref.p.numpy())
        assert res["times"].shape == (x.shape[-1],) and str(res["method"]) == "circular"
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert "time-frequency image" in done.stdout
    done = run_cli("erpac", tmp_path / "trials.npz", *bands, "--method", "gc", "--smooth", 3, "--n-perm", 4,
                   "--mcp", "maxstat", "--out", tmp_path / "gc.npz")
    assert done.returncode == 0, done.stderr
    with np.load(tmp_path / "gc.npz") as res:
        assert res["p"].shape == (3, 3, x.shape[-1]) and set(np.unique(res["p"])) <= {0.25, 0.5, 0.75, 1.0}
    done = run_cli("erpac", tmp_path / "trials.npz", *bands, "--smooth", 3)
    assert done.returncode != 0 and "applies to method 'gc' only" in done.stderr
    done = run_cli("erpac", "--help")
    for option in ("--method", "--smooth", "--n-perm", "--mcp", "--alpha", "--seed", "--dcomplex", "--png"):
        assert option in done.stdout, option


def test_bench_runs():
    done = run_cli("bench", "--workloads", "small", "--runs", 2)
    assert done.returncode == 0, done.stderr
    assert re.search(r"small\s+1 x 512\s+gpac\s+[0-9.]+ ms", done.stdout), done.stdout
