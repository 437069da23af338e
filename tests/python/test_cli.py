"""The main job (python -m gpac demo) and the project's two set-up commands."""
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
    assert re.search(r"peak: MI = [0-9.e-]+ at phase band \[4\.5, 7\.5\] Hz \(centre 6\) x amplitude band \[70, 90\] Hz",
                     run.stdout), run.stdout
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
