"""The dependency audit in CI (.ci/audit_dependencies.py) trusts a vulnerability service only once
it finds a known vulnerability, and says plainly when it could not run: never a pass it did not
earn. pip-audit is replaced here by a stand-in that answers as a service would."""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.support.apps import project_root

STAND_IN = textwrap.dedent(
    """
    import json, os, sys
    arguments = sys.argv[1:]
    service = arguments[arguments.index("--vulnerability-service") + 1]
    mode = os.environ["STAND_IN_MODE"]
    canary = "--requirement" in arguments
    jinja_vulns = [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]
    if mode == "unreachable" or (mode == "osv_only" and service != "osv"):
        sys.exit("requests.exceptions.ConnectionError: the service could not be reached")
    if mode == "blind":  # what PyPI's service says when its JSON API answers 404
        print(json.dumps({"dependencies": [{"name": "jinja2", "skip_reason": "Dependency not found on PyPI"}]}))
        sys.exit(0)
    if canary:
        print(json.dumps({"dependencies": [{"name": "jinja2", "version": "2.10", "vulns": jinja_vulns}]}))
        sys.exit(1)
    installed = [{"name": "flask", "version": "3.1.0", "vulns": []}]
    if mode == "vulnerable":
        vulns = [{"id": "PYSEC-2019-140", "fix_versions": ["0.15.3"]}]
        installed.append({"name": "werkzeug", "version": "0.15.0", "vulns": vulns})
    print(json.dumps({"dependencies": installed}))
    sys.exit(1 if mode == "vulnerable" else 0)
    """
)


def audit(tmp_path, mode, **environment):
    stand_in = tmp_path / "pip_audit_stand_in.py"
    stand_in.write_text(STAND_IN)
    env = {name: value for name, value in os.environ.items() if name != "CIVIC_REQUIRE_AUDIT"}
    env.update(CIVIC_PIP_AUDIT=f"{sys.executable} {stand_in}", STAND_IN_MODE=mode, **environment)
    script = project_root() / ".ci" / "audit_dependencies.py"
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)


def test_an_unreachable_service_is_reported_as_not_run_never_as_a_pass(tmp_path):
    done = audit(tmp_path, "unreachable")
    assert done.returncode == 0
    assert "dependency audit NOT RUN" in done.stdout and "this is not a pass" in done.stdout
    assert "no known vulnerabilities" not in done.stdout


def test_a_service_that_cannot_see_the_known_vulnerable_canary_is_not_trusted(tmp_path):
    done = audit(tmp_path, "blind")
    assert "NOT RUN" in done.stdout and "did not find the known vulnerabilities of jinja2 2.10" in done.stdout


def test_not_running_fails_where_the_audit_is_required(tmp_path):
    assert audit(tmp_path, "unreachable", CIVIC_REQUIRE_AUDIT="1").returncode == 2


@pytest.mark.parametrize("mode", ["clean", "osv_only"])
def test_a_trusted_service_audits_the_installed_packages(tmp_path, mode):
    done = audit(tmp_path, mode)
    assert done.returncode == 0 and "(osv): 1 installed packages, no known vulnerabilities" in done.stdout


def test_a_known_vulnerable_installed_package_fails_the_audit(tmp_path):
    done = audit(tmp_path, "vulnerable")
    assert done.returncode == 1
    assert "VULNERABLE werkzeug 0.15.0: PYSEC-2019-140 (fixed in: 0.15.3)" in done.stdout
