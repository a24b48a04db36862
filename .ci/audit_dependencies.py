"""CI's check for known vulnerable dependencies: pip-audit over the versions installed in the
virtual environment that runs this script.

A vulnerability service is trusted only after it finds the known vulnerabilities of a canary
(jinja2 2.10, never installed: read as a pinned requirement line), because pip-audit reports
"No known vulnerabilities found" and exits 0 when the service cannot be asked about a package
(PyPI's JSON API answering 404 through a mirror, for instance). When no service proves itself,
the audit says plainly that it did NOT run, and exits 0 (so that a machine without the service
can still run the tests) unless CIVIC_REQUIRE_AUDIT=1, when it fails. It never reports a pass it
did not earn. See SECURITY.md, "Dependencies".

Exit codes: 0 audited and clean, or not run (said so); 1 a known vulnerability is installed;
2 not run although CIVIC_REQUIRE_AUDIT=1."""

import json
import os
import shlex
import subprocess
import sys
import tempfile

SERVICES = ("osv", "pypi", "esms")  # pip-audit's services, the most complete first
CANARY = ("jinja2", "2.10")  # CVE-2019-10906 (sandbox escape) and others: any live service knows it
SOCKET_TIMEOUT = "20"
RUN_TIMEOUT = 600  # seconds for one pip-audit run


def pip_audit_command():
    """pip-audit of this interpreter (so, of its environment), or CIVIC_PIP_AUDIT (tests)."""
    override = os.environ.get("CIVIC_PIP_AUDIT")
    return shlex.split(override) if override else [sys.executable, "-m", "pip_audit"]


def run_pip_audit(service, *arguments):
    """(report as a dict or None, the reason when None)."""
    command = [
        *pip_audit_command(),
        "--vulnerability-service",
        service,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        SOCKET_TIMEOUT,
        *arguments,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None, f"no answer within {RUN_TIMEOUT} s"
    try:
        return json.loads(done.stdout), ""
    except ValueError:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        return None, (lines[-1] if lines else f"pip-audit exited {done.returncode} without a report")


def vulnerable(report):
    return [dependency for dependency in report.get("dependencies", []) if dependency.get("vulns")]


def canary_found(service):
    """(True, "") when `service` reports the canary's known vulnerabilities, else (False, why)."""
    name, version = CANARY
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
        requirements.write(f"{name}=={version}\n")
    try:
        report, why = run_pip_audit(service, "--no-deps", "--disable-pip", "--requirement", requirements.name)
    finally:
        os.unlink(requirements.name)
    if report is None:
        return False, why
    if any(dependency["name"].lower() == name for dependency in vulnerable(report)):
        return True, ""
    skipped = [dependency.get("skip_reason") for dependency in report.get("dependencies", [])]
    reason = next((text for text in skipped if text), "it reported no vulnerability")
    return False, f"it did not find the known vulnerabilities of {name} {version}: {reason}"


def main():
    refusals = []
    for service in SERVICES:
        trusted, why = canary_found(service)
        if trusted:
            break
        refusals.append(f"  {service}: {why}")
    else:
        print("dependency audit NOT RUN: no vulnerability service could be trusted from this machine.")
        print("\n".join(refusals))
        print("Nothing was checked; this is not a pass. Run .ci/audit_dependencies.py where the service is reachable.")
        return 2 if os.environ.get("CIVIC_REQUIRE_AUDIT") == "1" else 0
    report, why = run_pip_audit(service, "--skip-editable")
    if report is None:
        print(f"dependency audit FAILED to run against {service} after its check passed: {why}")
        return 2 if os.environ.get("CIVIC_REQUIRE_AUDIT") == "1" else 0
    found = vulnerable(report)
    for dependency in found:
        ids = ", ".join(vuln["id"] for vuln in dependency["vulns"])
        fixes = sorted({fix for vuln in dependency["vulns"] for fix in vuln.get("fix_versions", [])})
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {ids} (fixed in: {', '.join(fixes) or '?'})")
    audited = [dependency for dependency in report.get("dependencies", []) if "skip_reason" not in dependency]
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            print(f"not audited: {dependency['name']}: {dependency['skip_reason']}")
    if found:
        print(
            f"dependency audit ({service}): {len(found)} of {len(audited)} installed packages "
            "have known vulnerabilities"
        )
        return 1
    print(f"dependency audit ({service}): {len(audited)} installed packages, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
