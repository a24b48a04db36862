"""Importing proposals exported from CONSUL (Decide Madrid and other cities): the support count
is kept as an imported figure (no accounts are invented), the HTML is sanitised, rows that look
like someone probing the site are reported and left out, and a bad row is reported by its line
with nothing of the file written. Importing the same file again adds nothing."""

import csv
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from civic.common import clock
from civic.common.db import commit
from civic.common.sanitize import plain_text, sanitize_html
from civic.discussions.services.discussions import create_attached_discussion
from civic.errors import InvalidInput
from civic.extensions import db
from civic.proposals.models import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, Proposal, ProposalState
from civic.proposals.services.queries import days_to_collect, supports_needed

S = ProposalState
COLUMNS = ("id", "title", "description", "cached_votes_up", "created_at", "retired_at")
# Titles of rows posted to test the site rather than to propose anything (seen on Decide Madrid:
# "testsia", "URL Test 3", "SSRF Test 12", "Embed SSRF 4", "Controller Test ... - Payload 2": the
# English word on a Spanish site), and markup that is an attack.
PROBE_TITLE = re.compile(r"\btest(?:s|sia|ing)?\b|\b(?:ssrf|xss|sqli|interactsh|payload)\b", re.IGNORECASE)
PROBE_MARKUP = re.compile(r"<\s*(?:script|iframe|object|embed|svg)\b|javascript:|onerror\s*=", re.IGNORECASE)


@dataclass
class ConsulReport:
    imported: int = 0
    already: int = 0  # imported before (same CONSUL id)
    by_state: dict = field(default_factory=dict)
    probes: list = field(default_factory=list)  # (line, id, title, reason)
    repeated_titles: list = field(default_factory=list)  # (line, id, title): a title seen earlier in the file


def _date(value, line, column):
    value = (value or "").strip()
    if not value:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S %z"):
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
        return clock.local_to_utc(moment) or moment.replace(tzinfo=clock.site_zone())
    raise InvalidInput(f"line {line}: {column} “{value}” is not a date (dd/mm/yyyy)")


def _probe_reason(title, description):
    if PROBE_TITLE.search(title):
        return "title looks like a test of the site"
    if PROBE_MARKUP.search(description or ""):
        return "description carries script or embedded content"
    if len(title.strip()) < 4:
        return "title too short to be a proposal"
    return None


def _rows(lines):
    reader = csv.reader(lines, delimiter=";", quotechar='"', strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty") from None
    except csv.Error as error:
        raise InvalidInput(f"line 1: {error}") from None
    if tuple(h.strip().lstrip("\ufeff") for h in header) != COLUMNS:
        raise InvalidInput(f"line 1: the columns must be {';'.join(COLUMNS)}")
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num}: {error}") from None


def _parse(line, row):
    if len(row) != len(COLUMNS):
        raise InvalidInput(f"line {line}: {len(row)} fields instead of {len(COLUMNS)}")
    raw_id, title, description, votes, created, retired = row
    try:
        consul_id, supports = int(raw_id), int(votes)
    except ValueError:
        raise InvalidInput(f"line {line}: id and cached_votes_up must be whole numbers") from None
    if supports < 0:
        raise InvalidInput(f"line {line}: cached_votes_up is negative")
    title = " ".join(title.split())
    if not title:
        raise InvalidInput(f"line {line}: the title is empty")
    published = _date(created, line, "created_at")
    if published is None:
        raise InvalidInput(f"line {line}: created_at is empty")
    return consul_id, title, description or "", supports, published, _date(retired, line, "retired_at")


def import_consul_proposals(lines, *, source="Decide Madrid"):
    """Import the rows of a CONSUL proposals CSV (an iterable of text lines). Returns a
    ConsulReport; raises InvalidInput naming the line of the first bad row (nothing written)."""
    report, seen_titles = ConsulReport(), {}
    known = set(db.session.scalars(select(Proposal.imported_from).where(Proposal.imported_from.like("consul:%"))))
    now, needed, days = clock.now(), supports_needed(), days_to_collect()
    try:
        for line, row in _rows(lines):
            consul_id, title, description, supports, published, retired = _parse(line, row)
            reason = _probe_reason(title, description)
            if reason:
                report.probes.append((line, consul_id, title, reason))
                continue
            key = title.casefold()
            if key in seen_titles:
                report.repeated_titles.append((line, consul_id, title))
            seen_titles.setdefault(key, consul_id)
            if f"consul:{consul_id}" in known:
                report.already += 1
                continue
            known.add(f"consul:{consul_id}")
            body_html = sanitize_html(description if "<" in description else html.escape(description))
            text = " ".join(html.unescape(plain_text(body_html)).split())
            summary = text or title
            if len(summary) > SUMMARY_MAX_LENGTH:
                summary = summary[: SUMMARY_MAX_LENGTH - 1].rsplit(" ", 1)[0] + "…"
            deadline = published + timedelta(days=days)
            if retired is not None:
                state = S.WITHDRAWN
            elif supports >= needed:
                state = S.UNDER_REVIEW
            elif deadline <= now:
                state = S.EXPIRED
            else:
                state = S.OPEN
            proposal = Proposal(
                title=title[:TITLE_MAX_LENGTH],
                summary=summary,
                body_markdown=text,
                body_html=body_html,
                author_name=source,
                state=state.value,
                published_at=published,
                created_at=published,
                deadline=deadline,
                supports_needed=needed,
                imported_support_count=supports,
                imported_from=f"consul:{consul_id}",
                withdrawn_at=retired,
                expired_at=deadline if state is S.EXPIRED else None,
                review_started_at=now if state is S.UNDER_REVIEW else None,
            )
            db.session.add(proposal)
            db.session.flush()
            proposal.discussion_id = create_attached_discussion("proposal", proposal.id, proposal.title).id
            report.imported += 1
            report.by_state[state.value] = report.by_state.get(state.value, 0) + 1
    except BaseException:
        db.session.rollback()
        raise
    commit()
    return report
