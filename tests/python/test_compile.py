"""torch.compile (fullgraph, no graph break) and torch.export give the eager result."""
import torch

import gpac

FS = 512.0


def test_compile_fullgraph_matches_eager(rng):
    x = torch.from_numpy(rng.standard_normal((2, 3, 1500))).float()
    module = gpac.PAC(FS, [[4, 8], [8, 12]], [[60, 90], [90, 130]])
    torch.testing.assert_close(torch.compile(module, fullgraph=True)(x)["mi"], module(x)["mi"], rtol=0, atol=0)


def test_compile_with_surrogates_matches_eager(rng):
    x = torch.from_numpy(rng.standard_normal((4, 1500)))
    module = gpac.PAC(FS, [[4, 8]], [[60, 90]], n_perm=12, seed=3, return_surrogates=True, return_dist=True)
    eager = module(x)
    compiled = torch.compile(module, fullgraph=True)(x)
    assert set(compiled) == set(eager)
    for name in eager:
        torch.testing.assert_close(compiled[name], eager[name], rtol=1e-12, atol=1e-12)


def test_compiled_backward_matches_eager(rng):
    x = torch.from_numpy(rng.standard_normal((3, 800))).float().requires_grad_()
    module = gpac.PAC(256.0, [[4, 8]], [[40, 60]])

    def loss(v):
        return module(v)["mi"].sum()

    (eager,) = torch.autograd.grad(loss(x), x)
    (compiled,) = torch.autograd.grad(torch.compile(loss, fullgraph=True)(x), x)
    torch.testing.assert_close(compiled, eager, rtol=1e-5, atol=1e-9)


def test_export_matches_eager(rng):
    x = torch.from_numpy(rng.standard_normal((2, 1500))).float()
    for module in (gpac.PAC(FS), gpac.PAC(FS, n_perm=10, seed=1)):
        program = torch.export.export(module, (x,))
        eager = module(x)
        for name, value in program.module()(x).items():
            torch.testing.assert_close(value, eager[name], rtol=1e-6, atol=1e-9)
