"""SECURITY.md states the headers and limits the site promises: it must say what the code does,
so each promise is read back from the code here, and the README links to it."""

import re

import pytest

from civic.accounts.models import DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH
from civic.accounts.passwords import PASSWORD_MAX_LENGTH
from civic.common import uploads
from civic.common.ratelimit import DEFAULT_LIMITS
from civic.common.security import CONTENT_SECURITY_POLICY
from civic.config import load_config
from civic.consultations.services.documents import MAX_DOCUMENTS
from civic.discussions.models import COMMENT_MAX_LENGTH
from civic.petitions.models import NAME_MAX_LENGTH
from tests.support.apps import project_root


@pytest.fixture(scope="module")
def policy():
    return (project_root() / "SECURITY.md").read_text(encoding="utf-8")


def table_row(policy, first_cell):
    match = re.search(rf"^\| {re.escape(first_cell)} \|(.*)\|$", policy, re.M)
    assert match, f"SECURITY.md has no table row for {first_cell}"
    return [cell.strip() for cell in match.group(1).split("|")]


@pytest.mark.app_config(CIVIC_HSTS=True)
def test_every_header_the_site_sends_is_promised_with_its_value(client, policy):
    headers = client.get("/about").headers
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
        "Strict-Transport-Security",
    ):
        assert table_row(policy, f"`{name}`")[0].startswith(f"`{headers[name]}`"), name
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_every_rate_limit_is_promised_with_its_default(policy):
    for name, default in DEFAULT_LIMITS.items():
        assert table_row(policy, f"`{name}`")[0] == f"`{default}`", name


def test_upload_limits_and_lengths_are_the_codes(policy):
    config = load_config({})
    megabytes = lambda n: f"{n // (1024 * 1024)} MB"  # noqa: E731
    assert (
        megabytes(config["CIVIC_DOCUMENT_MAX_BYTES"])
        in table_row(policy, "A document (PDF, ODT, DOCX, CSV in UTF-8)")[0]
    )
    image = table_row(policy, "A cover image (PNG, JPEG, WebP; never SVG)")[0]
    assert megabytes(config["CIVIC_IMAGE_MAX_BYTES"]) in image and f"{uploads.MAX_IMAGE_SIDE:,} pixels" in image
    archive = table_row(policy, "A ZIP-based document (DOCX, ODT)")[0]
    assert f"{uploads.ARCHIVE_MAX_ENTRIES:,} entries" in archive
    assert f"{uploads.ARCHIVE_MAX_UNPACKED_BYTES // (1024 * 1024)} MiB unpacked" in archive
    assert table_row(policy, "Documents per consultation")[0] == str(MAX_DOCUMENTS)
    assert table_row(policy, "Password")[0].startswith(str(PASSWORD_MAX_LENGTH))
    assert table_row(policy, "Email address")[0] == str(EMAIL_MAX_LENGTH)
    assert table_row(policy, "Display name")[0] == str(DISPLAY_NAME_MAX_LENGTH)
    assert table_row(policy, "Comment, discussion text")[0] == f"{COMMENT_MAX_LENGTH:,}"
    assert table_row(policy, "Petition signer's name")[0] == str(NAME_MAX_LENGTH)


def test_the_readme_links_to_the_security_policy():
    assert "(SECURITY.md)" in (project_root() / "README.md").read_text(encoding="utf-8")
