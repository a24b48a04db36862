"""The draft text put up for comment: replacing it (passages matched by their text, so that an
unchanged passage keeps its discussion), reading an uploaded text file, the passages as the
reading page shows them, and what each passage's discussion is about."""

import html
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from civic.audit.services import record_staff_action
from civic.common import clock
from civic.common.db import commit
from civic.common.i18n import format_moment
from civic.common.sanitize import plain_text
from civic.consultations import drafttext
from civic.consultations.models import CHANGEABLE, Consultation, Correction, DraftSection, Phase
from civic.consultations.services._shared import clean_correction_note
from civic.discussions.contexts import DiscussionContext
from civic.discussions.services.discussions import create_attached_discussion, delete_attached_discussion
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.permissions import ensure_can

DRAFT_TEXT_MAX_LENGTH = 100_000
DRAFT_TEXT_MAX_BLOCKS = 500
DRAFT_UPLOAD_MAX_BYTES = 200 * 1024
DISCUSSION_EXCERPT_LENGTH = 60


@dataclass
class DraftTextChange:
    """What replacing a draft text did: passages added, kept with their comments, kept under
    "Comments on earlier wording" (retired), and removed (nobody had commented)."""

    added: int = 0
    kept: int = 0
    retired: int = 0
    removed: int = 0


@dataclass
class DraftTextBlock:
    """A passage as the reading page shows it: headings at their level under the page's h1,
    the others numbered (paragraph 1, 2...), with a plain-text name for link labels."""

    section: DraftSection
    heading_level: int = 0
    number: int = 0
    name: str = ""


def draft_sections(consultation, *, retired=False):
    """The live passages in order (or those retired), each with its discussion loaded."""
    state = DraftSection.retired_at.isnot(None) if retired else DraftSection.retired_at.is_(None)
    query = (
        select(DraftSection)
        .options(selectinload(DraftSection.discussion))
        .where(DraftSection.consultation_id == consultation.id, state)
    )
    order = (DraftSection.retired_at.desc(), DraftSection.position) if retired else (DraftSection.position,)
    return list(db.session.scalars(query.order_by(*order, DraftSection.id)))


def draft_paragraph_count(consultation):
    """Live passages other than headings, for the link from the consultation's page; None when
    there is no draft text at all."""
    counts = dict(
        db.session.execute(
            select(DraftSection.kind, func.count())
            .where(DraftSection.consultation_id == consultation.id, DraftSection.retired_at.is_(None))
            .group_by(DraftSection.kind)
        ).all()
    )
    if not counts:
        return None
    return sum(number for kind, number in counts.items() if kind != "heading")


def _plain(html_text):
    return " ".join(html.unescape(plain_text(html_text)).split())


def draft_text_blocks(consultation):
    """The live passages as the reading page shows them."""
    sections = draft_sections(consultation)
    levels = iter(drafttext.page_heading_levels([s.level for s in sections if s.kind == "heading"]))
    blocks, number = [], 0
    for section in sections:
        if section.kind == "heading":
            blocks.append(DraftTextBlock(section, heading_level=next(levels), name=_plain(section.html)))
        else:
            number += 1
            blocks.append(DraftTextBlock(section, number=number))
    return blocks


def _excerpt(section_html, length=DISCUSSION_EXCERPT_LENGTH):
    text = _plain(section_html)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _draft_error(problem):
    return {
        "wrong_type": _("Choose a Markdown or plain text file (.md, .markdown or .txt)."),
        "empty": _("The file is empty."),
        "too_large": _(
            "The file is too large: a draft text file has at most %(max)d KB.", max=DRAFT_UPLOAD_MAX_BYTES // 1024
        ),
        "binary": _(
            "This file is not plain text. Save the draft as Markdown or plain text (.md or .txt) and upload that."
        ),
        "not_utf8": _(
            "This file is not in UTF-8. Save it as UTF-8 text (editors offer it under “Save as” "
            "or “Encoding”) and upload it again."
        ),
    }[problem]


def read_draft_upload(filename, data):
    """The text of an uploaded .md/.markdown/.txt file; a binary, non-UTF-8, empty or too large
    file is refused beside the upload field. Nothing is stored here: the text then goes through
    set_draft_text like typed text."""
    decoded = drafttext.decode_upload(filename, data or b"", DRAFT_UPLOAD_MAX_BYTES)
    if decoded.problem:
        raise InvalidInput(_draft_error(decoded.problem), field="upload")
    return decoded.text


def _discussion_title(consultation, section):
    return f"{consultation.title} — {_excerpt(section.html)}"


def set_draft_text(actor, consultation, markdown, *, correction_note=""):
    """Replace the draft text. Each top-level block (heading, paragraph, list, quote, table, code)
    is a passage with its own discussion. A passage whose text is unchanged keeps its discussion
    and comments; one that went away is kept under "Comments on earlier wording" when people
    commented on it, and deleted otherwise. In a draft the text changes freely; once published,
    a change is a public correction with a note; once the outcome is published, it cannot change."""
    ensure_can(actor, "consultation.manage", consultation)
    if consultation.phase not in CHANGEABLE:
        raise Conflict(_("The outcome is published; the draft text can no longer change."))
    text = drafttext.normalise_newlines(markdown).strip()
    if len(text) > DRAFT_TEXT_MAX_LENGTH:
        raise InvalidInput(
            _(
                "A draft text has at most %(max)s characters; this one has %(length)s.",
                max=format_decimal(DRAFT_TEXT_MAX_LENGTH),
                length=format_decimal(len(text)),
            ),
            field="text",
        )
    blocks = drafttext.split_blocks(text)
    if len(blocks) > DRAFT_TEXT_MAX_BLOCKS:
        raise InvalidInput(
            _(
                "A draft text has at most %(max)d paragraphs, lists, tables and headings; this one has %(count)d.",
                max=DRAFT_TEXT_MAX_BLOCKS,
                count=len(blocks),
            ),
            field="text",
        )
    change = DraftTextChange()
    if text == consultation.draft_text_markdown:
        change.kept = len(blocks)
        return change
    corrected = consultation.changes_are_corrections
    note = clean_correction_note(correction_note) if corrected else (correction_note or "").strip()

    live = draft_sections(consultation)
    # Same text, same passage: live passages first, then retired ones (a passage put back revives
    # its thread). Repeated identical passages are matched in order.
    reusable = {}
    for section in live + draft_sections(consultation, retired=True):
        reusable.setdefault(section.fingerprint, []).append(section)
    used = set()
    for position, block in enumerate(blocks):
        candidates = reusable.get(block.fingerprint)
        section = candidates.pop(0) if candidates else None
        if section is not None:
            change.kept += 1
            used.add(section.id)
            section.position, section.retired_at = position, None
            if section.markdown != block.markdown or section.kind != block.kind:
                section.kind, section.level, section.markdown = block.kind, block.level, block.markdown
                section.html = drafttext.render_block(block.kind, block.markdown)
            continue
        section = DraftSection(
            consultation_id=consultation.id,
            position=position,
            kind=block.kind,
            level=block.level,
            markdown=block.markdown,
            fingerprint=block.fingerprint,
            html=drafttext.render_block(block.kind, block.markdown),
        )
        db.session.add(section)
        db.session.flush()
        section.discussion_id = create_attached_discussion(
            "draft_section", section.id, _discussion_title(consultation, section)
        ).id
        change.added += 1
    now = clock.now()
    for section in live:
        if section.id in used:
            continue
        if section.discussion_id is None or delete_attached_discussion(section.discussion_id):
            db.session.delete(section)
            change.removed += 1
        else:
            section.retired_at = now
            change.retired += 1
    consultation.draft_text_markdown = text
    if corrected:
        db.session.add(Correction(consultation_id=consultation.id, author_id=actor.id, note=note, fields="draft_text"))
    record_staff_action(
        actor,
        "consultation.draft_text",
        "consultation",
        consultation.id,
        consultation.title,
        note,
        {"added": change.added, "kept": change.kept, "retired": change.retired, "removed": change.removed},
    )
    commit()
    return change


def remove_draft_text(consultation):
    """Before a draft consultation is deleted: its passages and their discussions go with it."""
    for section in draft_sections(consultation) + draft_sections(consultation, retired=True):
        delete_attached_discussion(section.discussion_id)
        db.session.delete(section)


def draft_section_context(section_id):
    """What a passage's discussion is about (registered with discussions at start-up): the
    passage, a link back to it, and whether it takes comments (only while the consultation is
    open, and only in the current wording)."""
    section = db.session.get(DraftSection, section_id)
    consultation = db.session.get(Consultation, section.consultation_id) if section else None
    if consultation is None:
        return None
    phase = consultation.phase
    about = DiscussionContext(
        summary=_("This discussion is about this passage of the draft text of “%(title)s”:", title=consultation.title),
        link_text=_("Back to the draft text"),
        endpoint="consultations.read_text",
        values={"consultation_id": consultation.id, "_anchor": f"section-{section.id}"},
        owner=consultation,
        view_action="consultation.view",
        excerpt_html=section.html,
        accepts_comments=section.retired_at is None and consultation.text_takes_comments,
    )
    if section.retired_at is not None:
        about.summary = _(
            "This discussion is about an earlier wording of the draft text of “%(title)s”, replaced on %(date)s:",
            title=consultation.title,
            date=format_moment(section.retired_at),
        )
        about.link_text = _("Read the current draft text")
        about.closed_message = _(
            "This wording was replaced, so it takes no new comments. You can comment on the current text."
        )
    elif phase is Phase.DRAFT:
        about.closed_message = _("The draft text takes comments once the consultation opens.")
    elif phase is Phase.SCHEDULED:
        about.closed_message = _(
            "The draft text takes comments once the consultation opens, on %(date)s.",
            date=format_moment(consultation.opens_at),
        )
    elif not about.accepts_comments:
        about.closed_message = _(
            "The consultation closed on %(date)s, so the draft text takes no new comments.",
            date=format_moment(consultation.closes_at),
        )
    return about
