"""The repository contract: README starts with the two set-up commands and .ci/run runs the second."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_commands():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("```bash")
    return lines[start + 1], lines[start + 2]


def test_readme_starts_with_two_setup_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert text[0] == "# restoreplan" and text[2] == "```bash"
    demo, tests = _readme_commands()
    assert "pip install ." in demo and "restoreplan demo" in demo
    assert '".[test]"' in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command():
    _, tests = _readme_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
