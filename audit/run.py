"""`make audit`: pip-audit over every pinned requirements file, and a verdict that says what it
could and could not check.

Each requirements*.txt is resolved (its pins and what they pull in) and looked up in the
vulnerability service (pip-audit's default: PyPI's per-release advisories, from OSV). The run
fails when a package has a known vulnerability that IGNORED below does not excuse. A package
the service has no answer for is "not audited", never counted as clean: the run fails on it
too, unless --allow-unaudited is given (for a network whose vulnerability service is out of
reach), and then it still prints every such package.

Runs with the audit virtualenv's Python (requirements-audit.txt); stdlib only.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Advisory id -> why it does not apply to this project (one line each). Ignored advisories are
# still printed.
IGNORED: dict[str, str] = {}


def audit(requirements: Path, pip_audit: str, service: str) -> dict:
    command = [pip_audit, "--progress-spinner", "off", "--format", "json", "-s", service, "-r", str(requirements)]
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.exit(f"pip-audit failed on {requirements.name}:\n{result.stderr.strip()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pip-audit", default="pip-audit", help="the pip-audit executable")
    parser.add_argument("--service", default="pypi", choices=["pypi", "osv", "esms"])
    parser.add_argument(
        "--allow-unaudited", action="store_true", help="do not fail on packages the service has no answer for"
    )
    args = parser.parse_args()

    vulnerable, unaudited, audited = [], [], 0
    for requirements in sorted(ROOT.glob("requirements*.txt")):
        report = audit(requirements, args.pip_audit, args.service)
        for dependency in report["dependencies"]:
            where = f"{dependency['name']} {dependency.get('version', '')}".strip()
            if "skip_reason" in dependency:
                unaudited.append(f"{requirements.name}: {dependency['skip_reason']}")
                continue
            audited += 1
            for vuln in dependency["vulns"]:
                fixed = ", ".join(vuln["fix_versions"]) or "no fixed release"
                vulnerable.append(f"{requirements.name}: {where}: {vuln['id']} (fixed in {fixed})")
        print(f"{requirements.name}: {len(report['dependencies'])} packages")

    for advisory, reason in IGNORED.items():
        print(f"ignored {advisory}: {reason}")
    for line in unaudited:
        print(f"NOT AUDITED {line}")
    for line in vulnerable:
        print(f"VULNERABLE {line}")
    print(f"{audited} packages audited: {len(vulnerable)} known vulnerabilities; {len(unaudited)} not audited.")
    if vulnerable:
        return 1
    if unaudited and not args.allow_unaudited:
        print("Some packages could not be audited (the vulnerability service did not answer for them).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
