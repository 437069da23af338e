"""TorchScript: a scripted gpac.PAC saved here loads in a fresh Python process (after
`import gpac`) and in a C++ program (tests/cpp/test_torchscript.cpp, which loads the
module this test writes to $GPAC_TORCHSCRIPT_DIR), and both give the eager result."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import torch
from torch import nn

import gpac

FS = 512.0


class ScriptedCase(nn.Module):
    """A scripted PAC with its input and its eager outputs, for a program that has no Python."""

    def __init__(self, pac: nn.Module, x: torch.Tensor, expected: Dict[str, torch.Tensor]):
        super().__init__()
        self.pac = pac
        self.register_buffer("x", x)
        for name, value in expected.items():
            self.register_buffer("expected_" + name, value)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        return self.pac(x)


def scripted_case(rng) -> ScriptedCase:
    """Also holds the eager gradient of mi.sum() with respect to x (as expected_grad), for the
    C++ program to backpropagate through the loaded module."""
    x = torch.from_numpy(rng.standard_normal((2, 3, 1500))).float()
    pac = gpac.PAC(FS, "lres", [[60, 90], [90, 140]], n_perm=16, seed=5, return_dist=True)
    expected = pac(x)
    v = x.clone().requires_grad_()
    (expected["grad"],) = torch.autograd.grad(pac(v)["mi"].sum(), v)
    assert expected["grad"].abs().sum() > 0
    return torch.jit.script(ScriptedCase(pac, x, expected))


def test_scripted_module_loads_in_a_fresh_process(rng, tmp_path):
    path = tmp_path / "pac.pt"
    scripted_case(rng).save(str(path))
    code = (
        "import sys, torch, gpac\n"
        "m = torch.jit.load(sys.argv[1])\n"
        "out = m(m.x)\n"
        "for name in ('mi', 'z', 'p', 'amp_dist'):\n"
        "    torch.testing.assert_close(out[name], getattr(m, 'expected_' + name), rtol=0, atol=0)\n"
        "print('same result')\n"
    )
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "same result" in run.stdout, run.stderr


def test_write_module_for_the_cpp_program(rng):
    """Writes the module the C++ test loads (tests/run_all.py runs pytest before CTest)."""
    out_dir = os.environ.get("GPAC_TORCHSCRIPT_DIR")
    if not out_dir:
        import pytest

        pytest.skip("GPAC_TORCHSCRIPT_DIR is not set (tests/run_all.py sets it for the C++ test)")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    scripted_case(rng).save(str(Path(out_dir) / "pac_case.pt"))
