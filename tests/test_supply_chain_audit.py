"""`make audit`'s verdict (audit/run.py) on what pip-audit reports: a known vulnerability fails
the run; a package the vulnerability service could not check is never counted as clean."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _fake_pip_audit(tmp_path: Path, dependencies: list[dict]) -> Path:
    """An executable that answers like `pip-audit --format json` with `dependencies`."""
    script = tmp_path / "pip-audit"
    report = json.dumps({"dependencies": dependencies, "fixes": []})
    script.write_text(f"#!{sys.executable}\nprint({report!r})\n")
    script.chmod(0o755)
    return script


def _run(pip_audit: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own script and a stub the test wrote)
        [sys.executable, "audit/run.py", "--pip-audit", str(pip_audit), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {
    "name": "django",
    "version": "5.2.19",
    "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["5.2.20"], "aliases": [], "description": ""}],
}
UNAUDITED = {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)"}


def test_clean_packages_pass(tmp_path):
    result = _run(_fake_pip_audit(tmp_path, [CLEAN]))
    assert result.returncode == 0, result.stdout
    assert "0 known vulnerabilities; 0 not audited" in result.stdout


@pytest.mark.parametrize("flags", [(), ("--allow-unaudited",)])
def test_a_known_vulnerability_fails_the_run_and_names_its_fix(tmp_path, flags):
    result = _run(_fake_pip_audit(tmp_path, [VULNERABLE]), *flags)
    assert result.returncode == 1
    assert "VULNERABLE requirements.txt: django 5.2.19: PYSEC-0000-1 (fixed in 5.2.20)" in result.stdout


def test_packages_the_service_could_not_check_fail_unless_allowed_and_are_listed(tmp_path):
    pip_audit = _fake_pip_audit(tmp_path, [UNAUDITED])
    refused = _run(pip_audit)
    assert refused.returncode == 1
    allowed = _run(pip_audit, "--allow-unaudited")
    assert allowed.returncode == 0
    assert "NOT AUDITED requirements.txt: Dependency not found" in allowed.stdout
