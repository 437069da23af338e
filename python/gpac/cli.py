"""Command line: ``python -m gpac {demo,compute,erpac,bench}``; ``--help`` on each."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .bands import linear_bands, preset_bands
from .erpac import erpac
from .pac import SURROGATES, NORMS, _as_signals, pac
from .plot import plot_comodulogram, plot_preferred_phase, plot_time_frequency
from .signals import coupled_signal


def demo(args: argparse.Namespace) -> int:
    """Comodulogram of a synthetic signal with 6 Hz -> 80 Hz coupling; prints the peak, writes a PNG."""
    x = coupled_signal(fs=args.fs, duration=args.duration, pha_hz=args.pha_hz, amp_hz=args.amp_hz,
                       n_signals=args.trials, seed=args.seed).to(args.device)
    pha_bands = linear_bands((2, 20), 10, "phase")  # centres 2, 4, ..., 20 Hz
    amp_bands = linear_bands((40, 160), 13, "amplitude")  # centres 40, 50, ..., 160 Hz
    start = time.perf_counter()
    mi = pac(x, args.fs, pha_bands, amp_bands).mi
    if mi.is_cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    comod = mi.mean(0).cpu()  # average over trials: (n_pha, n_amp)
    i, j = divmod(int(comod.argmax()), comod.size(1))
    pha_c, amp_c = pha_bands.mean(1), amp_bands.mean(1)
    print(f"gPAC demo: {args.trials} trial(s) x {x.size(-1)} samples at {args.fs:g} Hz on {x.device}, "
          f"{len(pha_c)} phase x {len(amp_c)} amplitude bands, {elapsed * 1e3:.1f} ms")
    print(f"coupling built in: phase {args.pha_hz:g} Hz -> amplitude {args.amp_hz:g} Hz")
    print(f"comodulogram peak: MI = {comod[i, j]:.4g} at phase band [{pha_bands[i, 0]:g}, {pha_bands[i, 1]:g}] Hz "
          f"(centre {pha_c[i]:g}) x amplitude band [{amp_bands[j, 0]:g}, {amp_bands[j, 1]:g}] Hz "
          f"(centre {amp_c[j]:g})")
    print(f"median MI elsewhere: {comod.median():.3g}")
    found = abs(pha_c[i] - args.pha_hz) <= 1 and abs(amp_c[j] - args.amp_hz) <= 5
    print("peak at the built-in coupling: " + ("yes" if found else "NO"))
    path = plot_comodulogram(comod, pha_bands, amp_bands, args.out,
                             title=f"gPAC demo: {args.pha_hz:g} Hz phase -> {args.amp_hz:g} Hz amplitude")
    print(f"comodulogram written to {path.resolve()}")
    return 0 if found else 1


# --- compute -----------------------------------------------------------------


def _parse_bands(text: str | None, range_: list | None, kind: str) -> torch.Tensor:
    """'lres' | '4-8,8-12' | None with --*-range LOW HIGH N | None: TensorPAC's 'lres'."""
    if text and range_:
        raise SystemExit(f"give --{kind[:3]}-bands or --{kind[:3]}-range, not both")
    if range_:
        return linear_bands((float(range_[0]), float(range_[1])), int(range_[2]), kind)
    if not text:
        return preset_bands("lres", kind)
    if text in ("lres", "mres", "hres", "demon", "hulk"):
        return preset_bands(text, kind)
    try:
        pairs = [[float(v) for v in band.split("-")] for band in text.split(",")]
    except ValueError:
        raise SystemExit(f"--{kind[:3]}-bands: expected a preset or 'low-high,low-high,...' in Hz, "
                         f"got {text!r}") from None
    if any(len(p) != 2 for p in pairs):
        raise SystemExit(f"--{kind[:3]}-bands: every band must be 'low-high' in Hz, got {text!r}")
    return torch.tensor(pairs, dtype=torch.float64)


def _read_signals(args: argparse.Namespace) -> tuple[np.ndarray, float | None]:
    """The input as an array (..., n_times), and the sampling frequency when the file carries one."""
    path = Path(args.input)
    if not path.exists():
        raise SystemExit(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, mmap_mode="r"), None  # read in place: recordings may exceed memory
    if suffix == ".npz":
        with np.load(path) as archive:
            # The sampling rate may be stored as 'fs' or, as in TensorPAC's example data, 'sf'.
            rates = [name for name in ("fs", "sf") if name in archive.files]
            arrays = [name for name in archive.files if name not in rates]
            key = args.key or (arrays[0] if len(arrays) == 1 else None)
            if key is None or key not in archive.files:
                raise SystemExit(f"{path}: name the array with --key (arrays: {', '.join(archive.files)})")
            fs = next((float(archive[name]) for name in rates if name != key), None)
            return archive[key], fs
    if suffix in (".csv", ".txt"):
        data = np.genfromtxt(path, delimiter=",", skip_header=args.skip_rows)
        if data.size and np.isnan(np.atleast_2d(data)[0]).all():
            raise SystemExit(f"{path}: the first row holds no numbers; skip header lines with --skip-rows")
        # Recorders write time down the rows, one column per channel.
        return (data.T if args.channels == "columns" and data.ndim == 2 else data), None
    if suffix in (".fif", ".edf", ".bdf", ".set", ".vhdr"):
        try:
            import mne
        except ImportError:
            raise SystemExit(f"{path}: reading {suffix} files needs MNE-Python (pip install mne)") from None
        raw = mne.io.read_raw(path, preload=True, verbose="error")
        return raw.get_data(), float(raw.info["sfreq"])
    raise SystemExit(f"{path}: expected a .npy, .npz, .csv or an MNE-readable recording (.fif, .edf, ...)")


def _inputs(args: argparse.Namespace) -> tuple[torch.Tensor, float, torch.Tensor, torch.Tensor]:
    """The signals (memory-mapped .npy files stay on disk), fs, phase and amplitude bands."""
    x, file_fs = _read_signals(args)
    fs = args.fs if args.fs is not None else file_fs
    if fs is None:
        raise SystemExit("--fs is required: this file does not carry a sampling frequency")
    pha = _parse_bands(args.pha_bands, args.pha_range, "phase")
    amp = _parse_bands(args.amp_bands, args.amp_range, "amplitude")
    signals = _as_signals(x)
    if args.dtype != "auto":
        signals = signals.to(getattr(torch, args.dtype))
    return signals, fs, pha, amp


def compute(args: argparse.Namespace) -> int:
    """Computes PAC (the MI, or --method; z, p with surrogates) of a file's signals; writes .npz and a
    comodulogram PNG."""
    signals, fs, pha, amp = _inputs(args)
    options = dict(n_bins=args.n_bins, n_perm=args.n_perm, surrogate=args.surrogate, norm=args.norm, seed=args.seed,
                   rng=args.rng, independent=args.independent, return_dist=args.method in ("mi", "hr"),
                   memory_budget=args.memory_budget, nan=args.nan, method=args.method, ndpac_p=args.ndpac_p,
                   dcomplex=args.dcomplex, width=args.width, window=args.window, step=args.step)
    start = time.perf_counter()
    try:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torchrun: shard the signals over the ranks
            from . import distributed

            distributed.init(timeout=args.timeout)
            res = distributed.pac(signals, fs, pha, amp, **options)
            if res is None:  # not rank 0: rank 0 writes the results
                return 0
            where = f"{distributed.world_size()} ranks ({args.device if args.device != 'cpu' else 'gloo, cpu'})"
        else:
            res = pac(signals.to(args.device), fs, pha, amp, progress=args.progress, **options)
            where = args.device
    except (ValueError, TypeError) as err:
        raise SystemExit(f"gpac compute: {err}") from err
    elapsed = time.perf_counter() - start
    out = Path(args.out or Path(args.input).with_suffix(".pac.npz"))
    arrays = {args.method: res.mi.cpu().numpy(), "pha_bands": pha.numpy(), "amp_bands": amp.numpy(),
              "fs": np.array(fs), "method": np.array(args.method)}
    if res.amp_dist is not None:
        arrays.update(amp_dist=res.amp_dist.cpu().numpy(), phase_bin_centers=res.phase_bin_centers.numpy())
    if res.z is not None:
        arrays.update(z=res.z.cpu().numpy(), p=res.p.cpu().numpy())
    if res.window_centers is not None:
        arrays["window_centers"] = res.window_centers.numpy()
    shown, label = res.mi, METHOD_TITLES[args.method]
    if args.plot == "z":
        if res.z is None:
            raise SystemExit("gpac compute: --plot z needs surrogates (--n-perm)")
        shown, label = res.z, "z"
    if res.window_centers is not None:
        # The time course: the most coupled phase band's measure per window and amplitude band,
        # averaged over the signals.
        course = shown.reshape(-1, len(res.window_centers), len(pha), len(amp)).mean(0).cpu()
        i = int(course.mean(0).amax(1).argmax())
        png = plot_time_frequency(course[:, i].T, res.window_centers, amp,
                                  args.png or out.with_suffix(".png"), label=label,
                                  title=f"{Path(args.input).name}: {label} per window, phase band "
                                        f"[{pha[i, 0]:g}, {pha[i, 1]:g}] Hz")
        np.savez(out, **arrays)
        print(f"{tuple(signals.shape)} at {fs:g} Hz, {len(pha)} x {len(amp)} bands, "
              f"{len(res.window_centers)} windows, {args.n_perm} surrogates: {elapsed:.2f} s on {where}")
        print(f"results written to {out.resolve()} ({', '.join(sorted(arrays))}); time course {png.resolve()}")
        return 0
    comod = shown.reshape(-1, len(pha), len(amp)).mean(0).cpu()
    pvalues = None
    if res.all_surrogates is not None:
        # TensorPAC's pacplot outline: p corrected over the cells, the trial axis averaged
        # (pvalues_corrected); a cell is outlined when every remaining group finds it significant.
        arrays["p_corrected"] = res.pvalues_corrected(args.mcp, args.alpha).cpu().numpy()
        pvalues = torch.from_numpy(arrays["p_corrected"]).reshape(-1, len(pha), len(amp)).amax(0)
    np.savez(out, **arrays)
    n_mean = res.mi.numel() // comod.numel()
    title = f"{Path(args.input).name}: {label}, mean of {n_mean} signal(s)"
    png = plot_comodulogram(comod, pha, amp, args.png or out.with_suffix(".png"), title=title, label=label,
                            pvalues=pvalues, alpha=args.alpha)
    if args.polar:
        if res.amp_dist is None:
            raise SystemExit("gpac compute: --polar needs the amplitude distributions: --method mi or hr")
        i = int(res.mi.reshape(-1, len(pha), len(amp)).mean(0).amax(1).argmax())  # the most coupled phase band
        dist = res.amp_dist.reshape(-1, len(pha), len(amp), args.n_bins).mean(0)[i].cpu()
        polar = plot_preferred_phase(dist, res.phase_bin_centers, amp, out.with_suffix(".polar.png"),
                                     title=f"preferred phase, phase band [{pha[i, 0]:g}, {pha[i, 1]:g}] Hz")
        print(f"preferred-phase polar plot {polar.resolve()}")
    print(f"{tuple(signals.shape)} at {fs:g} Hz, {len(pha)} x {len(amp)} bands, {args.n_perm} surrogates: "
          f"{elapsed:.2f} s on {where}")
    print(f"results written to {out.resolve()} ({', '.join(sorted(arrays))}); comodulogram {png.resolve()}")
    return 0


def event_related(args: argparse.Namespace) -> int:
    """Event-related PAC across the trials (axis -2) of a file's signals; writes .npz and, for the
    most coupled phase band, a time x amplitude-frequency PNG."""
    signals, fs, pha, amp = _inputs(args)
    start = time.perf_counter()
    try:
        res = erpac(signals.to(args.device), fs, pha, amp, method=args.method, smooth=args.smooth,
                    n_perm=args.n_perm, mcp=args.mcp, p=args.alpha, seed=args.seed, dcomplex=args.dcomplex,
                    width=args.width, memory_budget=args.memory_budget)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"gpac erpac: {err}") from err
    elapsed = time.perf_counter() - start
    out = Path(args.out or Path(args.input).with_suffix(".erpac.npz"))
    arrays = {"erpac": res.erpac.cpu().numpy(), "times": res.times.numpy(), "pha_bands": pha.numpy(),
              "amp_bands": amp.numpy(), "fs": np.array(fs), "method": np.array(args.method)}
    if res.p is not None:
        arrays.update(p=res.p.cpu().numpy(), p_uncorrected=res.p_uncorrected.cpu().numpy())
    np.savez(out, **arrays)
    cells = res.erpac.reshape(-1, len(pha), len(amp), res.times.numel())
    shown = cells.mean(0).cpu()
    i = int(shown.mean(-1).amax(1).argmax())  # the most coupled phase band
    pvalues = None if res.p is None else res.p.reshape(cells.shape).amax(0)[i].cpu()
    label = "circular correlation" if args.method == "circular" else "GC MI (bits)"
    title = (f"{Path(args.input).name}: ERPAC, phase band [{pha[i, 0]:g}, {pha[i, 1]:g}] Hz, "
             f"mean of {cells.size(0)} signal(s)")
    png = plot_time_frequency(shown[i], res.times, amp, args.png or out.with_suffix(".png"), label=label,
                              pvalues=pvalues, alpha=args.alpha, title=title)
    print(f"{tuple(signals.shape)} at {fs:g} Hz, {len(pha)} x {len(amp)} bands, {args.n_perm} surrogates: "
          f"{elapsed:.2f} s on {args.device}")
    print(f"results written to {out.resolve()} ({', '.join(sorted(arrays))}); time-frequency image {png.resolve()}")
    return 0


METHOD_TITLES = {"mi": "MI", "hr": "HR", "mvl": "MVL", "ndpac": "ndPAC", "ps": "PS", "gc": "GC (bits)"}


# --- bench -------------------------------------------------------------------


def bench(args: argparse.Namespace) -> int:
    """Times gpac.pac on synthetic workloads on a device (TensorPAC beside it with --tensorpac)."""
    workloads = {"small": (1, 512), "medium": (8, 2048), "large": (16, 30720)}
    pha, amp = preset_bands(args.bands, "phase"), preset_bands(args.bands, "amplitude")
    tp = None
    if args.tensorpac:
        try:
            import tensorpac
        except ImportError:
            raise SystemExit("--tensorpac needs TensorPAC (pip install tensorpac)") from None
        tensorpac.set_log_level("error")
        tp = tensorpac.Pac(idpac=(2, 0, 0), f_pha=pha.numpy(), f_amp=amp.numpy(), verbose=False)
    print(f"gpac.pac on {args.device}, {args.dtype}, {len(pha)} x {len(amp)} bands, fs 512 Hz, median of "
          f"{args.runs} runs")
    for name in args.workloads:
        n_signals, n_times = workloads[name]
        x_np = np.random.default_rng(0).standard_normal((n_signals, n_times))
        x = torch.from_numpy(x_np).to(args.device, getattr(torch, args.dtype))

        def run(x=x):
            pac(x, 512.0, pha, amp, n_perm=args.n_perm, seed=0, progress=False)
            if x.is_cuda:
                torch.cuda.synchronize()

        seconds = _median_time(run, args.runs)
        line = f"{name:<7} {n_signals:>3} x {n_times:<6} gpac {seconds * 1e3:10.3f} ms"
        if tp is not None:
            tp_seconds = _median_time(lambda x_np=x_np: tp.filterfit(512.0, x_np, n_perm=0, n_jobs=-1),
                                      max(1, args.runs // 5))
            line += f"   tensorpac {tp_seconds * 1e3:10.1f} ms   {tp_seconds / seconds:7.1f}x"
        print(line, flush=True)
    return 0


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# --- parser ------------------------------------------------------------------


def _input_arguments(p: argparse.ArgumentParser) -> None:
    """The input file and band arguments of compute and erpac."""
    p.add_argument("input", help="signals: .npy (..., n_times); .npz (--key selects the array; an 'fs' array is "
                   "used as the sampling frequency); .csv (one channel per column, see --channels); or a recording "
                   "MNE-Python reads (.fif, .edf, ...; needs mne)")
    p.add_argument("--fs", type=float, help="sampling frequency in Hz (required unless the file carries it)")
    p.add_argument("--key", help="array name inside a .npz file")
    p.add_argument("--channels", choices=["columns", "rows"], default="columns",
                   help="CSV layout: one channel per column (time down the rows) or per row")
    p.add_argument("--skip-rows", type=int, default=0, help="CSV header lines to skip")
    p.add_argument("--pha-bands", help="phase bands: a TensorPAC preset (lres, mres, hres) or 'low-high,...' in "
                   "Hz (default: lres, 10 bands over 2-20 Hz)")
    p.add_argument("--amp-bands", help="amplitude bands: a preset or 'low-high,...' in Hz (default: lres, 10 bands "
                   "over 60-160 Hz)")
    p.add_argument("--pha-range", nargs=3, metavar=("LOW", "HIGH", "N"),
                   help="N linear phase bands centred over LOW..HIGH Hz (widths f/2, as TensorPAC)")
    p.add_argument("--amp-range", nargs=3, metavar=("LOW", "HIGH", "N"),
                   help="N linear amplitude bands centred over LOW..HIGH Hz (widths f/4)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gpac", description="gPAC: phase-amplitude coupling "
                                     "(Tort's Modulation Index with TensorPAC's conventions) on CPU and GPU.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="comodulogram of a built-in synthetic signal with known coupling",
                       description=demo.__doc__)
    p.add_argument("--out", type=Path, default=Path("gpac_demo_comodulogram.png"), help="PNG path to write")
    p.add_argument("--device", default="cpu", help="torch device to compute on (cpu, cuda)")
    p.add_argument("--fs", type=float, default=512.0, help="sampling frequency in Hz")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per trial")
    p.add_argument("--trials", type=int, default=4, help="number of trials (averaged)")
    p.add_argument("--pha-hz", type=float, default=6.0, help="frequency of the modulating phase")
    p.add_argument("--amp-hz", type=float, default=80.0, help="frequency of the modulated amplitude")
    p.add_argument("--seed", type=int, default=0, help="random seed of the synthetic signal")
    p.set_defaults(func=demo)

    p = sub.add_parser("compute", help="PAC of the signals in a file; writes .npz results and a PNG",
                       description=compute.__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _input_arguments(p)
    p.add_argument("--method", choices=list(METHOD_TITLES), default="mi",
                   help="coupling measure, as TensorPAC's idpac[0]: mi (2), hr (3), mvl (1), ndpac (4), ps (5), gc (6)")
    p.add_argument("--ndpac-p", type=float, default=0.05, help="ndPAC's threshold p-value (1: none)")
    p.add_argument("--dcomplex", choices=["hilbert", "wavelet"], default="hilbert",
                   help="phases and amplitudes from FIR band-pass + Hilbert, or from Morlet wavelets (TensorPAC's)")
    p.add_argument("--width", type=float, default=7.0, help="Morlet wavelet width in cycles (--dcomplex wavelet)")
    p.add_argument("--n-bins", type=int, default=18, help="phase bins of the MI")
    p.add_argument("--n-perm", type=int, default=0, help="surrogates for z-scores and p-values (TensorPAC: 200)")
    p.add_argument("--surrogate", choices=sorted(SURROGATES), default="block_swap",
                   help="how surrogates break the coupling (swap_trials permutes axis -2)")
    p.add_argument("--norm", choices=sorted(NORMS), default="zscore", help="normalisation of the MI by surrogates")
    p.add_argument("--seed", type=int, default=0, help="seed of the surrogates' draw")
    p.add_argument("--rng", choices=["torch", "tensorpac"], default="torch",
                   help="'tensorpac' draws the surrogates as TensorPAC does (RandomState(seed + k))")
    p.add_argument("--independent", action="store_true", help="one cut per signal instead of one per surrogate")
    p.add_argument("--device", default="cpu", help="torch device to compute on (cpu, cuda, cuda:1)")
    p.add_argument("--dtype", choices=["auto", "float32", "float64"], default="auto",
                   help="computation dtype ('auto': the file's; integers in float32)")
    p.add_argument("--memory-budget", type=int, help="bytes of working memory (default 512 MiB)")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="under torchrun: seconds a collective waits for the other ranks before failing")
    p.add_argument("--nan", choices=["raise", "propagate"], default="raise",
                   help="signals with NaN/Inf samples: refuse them (default) or give them NaN results")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar over the surrogates (default: for long calls on a terminal)")
    p.add_argument("--plot", choices=["measure", "z"], default="measure",
                   help="what the comodulogram shows: the measure, or its z against the surrogates")
    p.add_argument("--mcp", choices=["maxstat", "fdr", "bonferroni"], default="maxstat",
                   help="correction of the p-values outlined on the comodulogram (with --n-perm)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level of the outline")
    p.add_argument("--polar", action="store_true",
                   help="also a polar plot of the preferred phase (the most coupled phase band): .polar.png")
    p.add_argument("--window", type=float, help="time-resolved PAC: window length in seconds (the PNG is then "
                   "the time course of the most coupled phase band)")
    p.add_argument("--step", type=float, help="seconds between windows' starts (default: --window)")
    p.add_argument("--out", help="results .npz (default: INPUT with .pac.npz)")
    p.add_argument("--png", help="comodulogram PNG (default: the .npz path with .png)")
    p.set_defaults(func=compute)

    p = sub.add_parser("erpac", help="event-related PAC across trials; writes .npz results and a time-frequency PNG",
                       description=event_related.__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    _input_arguments(p)
    p.add_argument("--method", choices=["circular", "gc"], default="circular",
                   help="Voytek's circular-linear correlation or the Gaussian-copula MI")
    p.add_argument("--smooth", type=int, help="gc: half-window in samples of TensorPAC's temporal smoothing")
    p.add_argument("--n-perm", type=int, default=0, help="trial-permutation surrogates for the p-values")
    p.add_argument("--mcp", choices=["fdr", "bonferroni", "maxstat"], default="fdr",
                   help="correction of the p-values over the cells (maxstat needs --n-perm)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (and of the outline)")
    p.add_argument("--seed", type=int, default=0, help="seed of the trial permutations")
    p.add_argument("--dcomplex", choices=["hilbert", "wavelet"], default="hilbert",
                   help="FIR band-pass + Hilbert, or Morlet wavelets (TensorPAC's dcomplex)")
    p.add_argument("--width", type=float, default=7.0, help="Morlet wavelet width in cycles (--dcomplex wavelet)")
    p.add_argument("--device", default="cpu", help="torch device to compute on (cpu, cuda, cuda:1)")
    p.add_argument("--dtype", choices=["auto", "float32", "float64"], default="auto",
                   help="computation dtype ('auto': the file's; integers in float32)")
    p.add_argument("--memory-budget", type=int, help="bytes of working memory (default 512 MiB)")
    p.add_argument("--out", help="results .npz (default: INPUT with .erpac.npz)")
    p.add_argument("--png", help="time-frequency PNG (default: the .npz path with .png)")
    p.set_defaults(func=event_related)

    p = sub.add_parser("bench", help="time gpac.pac on synthetic workloads (and TensorPAC with --tensorpac)",
                       description=bench.__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--device", default="cpu", help="torch device")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--bands", choices=["lres", "mres", "hres"], default="lres", help="TensorPAC preset for both")
    p.add_argument("--workloads", nargs="+", choices=["small", "medium", "large"], default=["small", "medium", "large"])
    p.add_argument("--n-perm", type=int, default=0, help="surrogates per call")
    p.add_argument("--runs", type=int, default=10, help="timed runs per workload")
    p.add_argument("--tensorpac", action="store_true", help="also time TensorPAC (installed separately)")
    p.set_defaults(func=bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
