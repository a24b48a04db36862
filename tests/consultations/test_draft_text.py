"""A consultation's draft text put up for comment: split into passages, each with its own
discussion; replacing the text keeps the threads of unchanged passages; corrections after
publication; the reading page with its margin counts; uploads; commenting only while open."""

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.common import clock
from civic.consultations import drafttext
from civic.consultations.models import Consultation, Correction, DraftSection
from civic.consultations.services import draft_text, lifecycle
from civic.discussions.models import Comment, Discussion
from civic.discussions.services.comments import edit_comment, post_comment
from civic.discussions.services.discussions import get_discussion
from civic.errors import Conflict, InvalidInput, NotAllowed, ParticipationClosed
from civic.extensions import db
from civic.permissions import can
from tests.support.users import seen_just_now

UTC = UTC
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

TEXT = """# Scope

This plan covers **all streets** of the Old Town.

## Parking

Residents park for free.
Visitors pay from 9:00 to 20:00.

- Blue zones
  - near the market
- Green zones
"""

# --- the splitter (pure) ----------------------------------------------------------------------


def kinds(text):
    return [(block.kind, block.level) for block in drafttext.split_blocks(text)]


def test_splitter_keeps_each_top_level_block_with_its_exact_source_lines():
    blocks = drafttext.split_blocks(TEXT)
    assert [(b.kind, b.level) for b in blocks] == [
        ("heading", 1),
        ("paragraph", 0),
        ("heading", 2),
        ("paragraph", 0),
        ("list", 0),
    ]
    assert blocks[3].markdown == "Residents park for free.\nVisitors pay from 9:00 to 20:00."
    assert blocks[4].markdown == "- Blue zones\n  - near the market\n- Green zones"  # nested list: one block
    assert blocks[0].fingerprint == hashlib.sha256(b"# Scope").hexdigest()


def test_splitter_recognises_quotes_tables_code_and_setext_headings():
    text = (
        "Title\n=====\n\n> quoted\nlazy line\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n\nmore\n```\n\n"
        "---\n\n    indented code\n\n1. one\n2. two\n"
    )
    assert kinds(text) == [("heading", 1), ("quote", 0), ("table", 0), ("code", 0), ("code", 0), ("list", 0)]
    code = drafttext.split_blocks(text)[3]
    assert code.markdown == "```\ncode\n\nmore\n```"  # the blank line inside the fence stays in the block


def test_splitter_edge_cases():
    assert drafttext.split_blocks("") == []
    assert drafttext.split_blocks("   \n\n \n") == []
    assert drafttext.split_blocks(None) == []
    assert kinds("# One\n## Two\n### Three") == [("heading", 1), ("heading", 2), ("heading", 3)]
    crlf = drafttext.split_blocks(TEXT.replace("\n", "\r\n"))
    assert crlf == drafttext.split_blocks(TEXT)  # same blocks, same fingerprints
    assert all("\r" not in block.markdown for block in crlf)


def test_fingerprint_ignores_rewrapping_but_not_changed_words():
    assert drafttext.fingerprint("Residents park\n  for free.") == drafttext.fingerprint("Residents park for free.")
    assert drafttext.fingerprint("Residents park for free.") != drafttext.fingerprint("Residents pay.")


def test_raw_html_is_a_paragraph_whose_markup_is_escaped():
    [block] = drafttext.split_blocks('<script>alert("x")</script>\n<img src=x onerror=alert(1)>')
    assert block.kind == "paragraph"
    html = drafttext.render_block(block.kind, block.markdown)
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_blocks_render_safely_with_tables_and_headings_without_their_element():
    assert drafttext.render_block("heading", "## The *plan*") == "The <em>plan</em>"
    table = drafttext.render_block("table", "| a | b |\n|---|---|\n| 1 | [x](javascript:alert(1)) |")
    assert "<table>" in table and "<th>a</th>" in table and "<a" not in table and "href" not in table


def test_page_heading_levels_start_under_the_h1_and_skip_none():
    assert drafttext.page_heading_levels([1, 2, 2, 1]) == [2, 3, 3, 2]
    assert drafttext.page_heading_levels([3, 3]) == [2, 2]
    assert drafttext.page_heading_levels([1, 3, 4]) == [2, 3, 4]  # ### after # is not h4 after h2
    assert drafttext.page_heading_levels([1, 2, 3, 4, 5, 6]) == [2, 3, 4, 5, 6, 6]
    assert drafttext.page_heading_levels([]) == []


@pytest.mark.parametrize(
    "name,data,problem",
    [
        ("draft.pdf", b"# Title", "wrong_type"),
        ("draft", b"# Title", "wrong_type"),
        ("draft.md", b"", "empty"),
        ("draft.md", b"x" * 11, "too_large"),
        ("draft.txt", b"PK\x03\x04\x00\x00bin", "binary"),
        ("draft.md", b"abc\x01def", "binary"),
        ("draft.md", "Año".encode("latin-1"), "not_utf8"),
    ],
)
def test_uploads_that_are_not_utf8_text_are_refused(name, data, problem):
    assert drafttext.decode_upload(name, data, max_bytes=10).problem == problem


def test_upload_reads_utf8_and_drops_the_byte_order_mark():
    decoded = drafttext.decode_upload("Draft.MARKDOWN", "\ufeff# Año\r\n\r\nTexto".encode(), max_bytes=100)
    assert decoded.problem is None and decoded.text == "# Año\n\nTexto"


# --- the service --------------------------------------------------------------------------------


def new_consultation(official, *, opens=NOW - timedelta(days=1), closes=NOW + timedelta(days=30), publish=True):
    c = lifecycle.create_consultation(
        official,
        lifecycle.ConsultationFields(
            title="Parking in the Old Town",
            summary="Who parks where?",
            opens_local=clock.utc_to_local(opens).replace(tzinfo=None),
            closes_local=clock.utc_to_local(closes).replace(tzinfo=None),
        ),
    )
    if publish:
        lifecycle.publish_consultation(official, c)
    return c


@pytest.fixture
def draft(app, frozen, official):
    return new_consultation(official, publish=False)


@pytest.fixture
def open_consultation(app, frozen, official):
    c = new_consultation(official)
    draft_text.set_draft_text(official, c, TEXT, correction_note="The draft text is up for comment.")
    return c


def sections(c, retired=False):
    return draft_text.draft_sections(c, retired=retired)


def comment_on(user, section, body="I agree."):
    return post_comment(user, db.session.get(Discussion, section.discussion_id), body=body)


def test_setting_the_text_creates_a_passage_and_a_discussion_for_each_block(draft, official):
    change = draft_text.set_draft_text(official, draft, TEXT)
    assert (change.added, change.kept, change.retired, change.removed) == (5, 0, 0, 0)
    found = sections(draft)
    assert [s.kind for s in found] == ["heading", "paragraph", "heading", "paragraph", "list"]
    assert [s.position for s in found] == [0, 1, 2, 3, 4]
    assert found[0].html == "Scope" and "<strong>all streets</strong>" in found[1].html
    for section in found:
        discussion = db.session.get(Discussion, section.discussion_id)
        assert (discussion.context_type, discussion.context_id) == ("draft_section", section.id)
    assert db.session.get(Discussion, found[1].discussion_id).title.startswith("Parking in the Old Town — This plan")
    assert draft.draft_text_markdown == TEXT.strip()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consultation.draft_text")).one()
    assert entry.details["added"] == 5
    assert db.session.query(Correction).count() == 0  # a draft changes freely


def test_replacing_keeps_the_threads_of_unchanged_passages(open_consultation, official, make_user):
    c = open_consultation
    before = {s.fingerprint: s for s in sections(c)}
    paragraph = sections(c)[3]  # "Residents park for free..."
    comment_on(make_user(), paragraph)
    rewritten = TEXT.replace("# Scope\n", "# Scope\n\nA new first paragraph.\n").replace(
        "Residents park for free.\nVisitors", "Residents park for free. Visitors"
    )
    change = draft_text.set_draft_text(official, c, rewritten, correction_note="Added an introduction.")
    assert (change.added, change.kept, change.retired, change.removed) == (1, 5, 0, 0)
    after = sections(c)
    assert [s.position for s in after] == list(range(6))
    moved = next(s for s in after if s.id == paragraph.id)
    assert moved.position == 4 and moved.discussion_id == paragraph.discussion_id  # re-wrapped: same passage
    assert moved.markdown == "Residents park for free. Visitors pay from 9:00 to 20:00."
    assert db.session.get(Discussion, moved.discussion_id).comment_count == 1
    assert {s.fingerprint for s in after} >= set(before)


def test_removed_passages_are_retired_with_their_comments_or_deleted_without(open_consultation, official, make_user):
    c = open_consultation
    commented, silent = sections(c)[1], sections(c)[3]
    comment_on(make_user(), commented)
    silent_discussion = silent.discussion_id
    text = TEXT.replace("This plan covers **all streets** of the Old Town.\n\n", "").replace(
        "Residents park for free.\nVisitors pay from 9:00 to 20:00.\n\n", ""
    )
    change = draft_text.set_draft_text(official, c, text, correction_note="Two paragraphs removed.")
    assert (change.added, change.kept, change.retired, change.removed) == (0, 3, 1, 1)
    [retired] = sections(c, retired=True)
    assert retired.id == commented.id and retired.retired_at == NOW
    assert db.session.get(DraftSection, silent.id) is None
    assert db.session.get(Discussion, silent_discussion) is None
    # Putting the paragraph back revives its thread.
    draft_text.set_draft_text(official, c, TEXT, correction_note="Paragraph restored.")
    assert sections(c, retired=True) == []
    assert sections(c)[1].id == commented.id and sections(c)[1].retired_at is None


def test_after_publication_a_change_needs_a_public_correction_note(app, frozen, official):
    c = new_consultation(official)
    with pytest.raises(InvalidInput) as error:
        draft_text.set_draft_text(official, c, TEXT)
    assert error.value.field == "correction_note"
    assert sections(c) == [] and c.draft_text_markdown == ""
    draft_text.set_draft_text(official, c, TEXT, correction_note="Draft text added.")
    correction = db.session.query(Correction).one()
    assert (correction.note, correction.fields) == ("Draft text added.", "draft_text")
    draft_text.set_draft_text(official, c, TEXT + "\n")  # nothing changed: no note needed, no correction
    assert db.session.query(Correction).count() == 1


def test_the_text_cannot_change_once_the_outcome_is_published(open_consultation, official, frozen):
    frozen.set(NOW + timedelta(days=31))
    lifecycle.publish_outcome(official, open_consultation, "We decided.")
    with pytest.raises(Conflict):
        draft_text.set_draft_text(official, open_consultation, "New text.", correction_note="Why not")
    assert len(sections(open_consultation)) == 5


def test_only_officials_set_the_text(draft, make_user):
    with pytest.raises(NotAllowed):
        draft_text.set_draft_text(make_user(), draft, TEXT)
    assert sections(draft) == []


def test_limits_are_explained(draft, official, monkeypatch):
    with pytest.raises(InvalidInput) as too_long:
        draft_text.set_draft_text(official, draft, "word " * 20_001)
    assert too_long.value.field == "text" and "at most 100,000 characters" in too_long.value.message
    with pytest.raises(InvalidInput) as too_many:
        draft_text.set_draft_text(official, draft, "\n\n".join(f"Paragraph {n}." for n in range(501)))
    assert "at most 500" in too_many.value.message and "501" in too_many.value.message
    assert sections(draft) == []


def test_identical_passages_each_get_their_own_thread(draft, official):
    draft_text.set_draft_text(official, draft, "Deleted.\n\nKept.\n\nDeleted.")
    first = sections(draft)
    assert len({s.discussion_id for s in first}) == 3
    draft_text.set_draft_text(official, draft, "Deleted.\n\nDeleted.\n\nKept.")
    assert sorted(s.id for s in sections(draft)) == sorted(s.id for s in first)


def test_deleting_a_draft_consultation_removes_its_passages_and_their_discussions(draft, official):
    draft_text.set_draft_text(official, draft, TEXT)
    ids = [s.discussion_id for s in sections(draft)]
    lifecycle.delete_consultation(official, draft)
    assert db.session.query(DraftSection).count() == 0
    assert db.session.scalars(select(Discussion).where(Discussion.id.in_(ids))).all() == []


# --- commenting on a passage --------------------------------------------------------------------


def test_commenting_on_a_passage_works_only_while_the_consultation_is_open(app, frozen, official, make_user):
    c = new_consultation(official, opens=NOW + timedelta(days=2))  # scheduled
    draft_text.set_draft_text(official, c, TEXT, correction_note="Text added.")
    citizen = make_user()
    section = sections(c)[1]
    discussion = db.session.get(Discussion, section.discussion_id)
    assert not can(citizen, "comment.create", discussion)
    with pytest.raises(ParticipationClosed) as early:
        comment_on(citizen, section)
    assert "once the consultation opens" in early.value.message
    frozen.set(NOW + timedelta(days=3))
    assert can(citizen, "comment.create", discussion)
    comment = comment_on(citizen, section, "Blue zones are too small.")
    frozen.set(c.closes_at)
    assert not can(citizen, "comment.create", discussion)
    with pytest.raises(ParticipationClosed) as late:
        comment_on(citizen, section, "Too late?")
    assert "closed on" in late.value.message
    with pytest.raises(ParticipationClosed):
        edit_comment(citizen, comment, body="Changed after closing.")
    assert db.session.query(Comment).count() == 1
    assert can(make_user(), "discussion.view", discussion)  # still there to read


def test_a_retired_passage_takes_no_new_comments(open_consultation, official, make_user):
    section = sections(open_consultation)[1]
    comment_on(make_user(), section)
    draft_text.set_draft_text(
        official, open_consultation, TEXT.replace("all streets", "most streets"), correction_note="Scope narrowed."
    )
    with pytest.raises(ParticipationClosed) as error:
        comment_on(make_user(), section)
    assert "replaced" in error.value.message


def test_a_draft_consultations_passage_discussions_are_for_officials_only(draft, official, make_user):
    draft_text.set_draft_text(official, draft, TEXT)
    discussion = db.session.get(Discussion, sections(draft)[0].discussion_id)
    assert not can(make_user(), "discussion.view", discussion)
    assert can(official, "discussion.view", discussion)
    with pytest.raises(NotAllowed):
        get_discussion(discussion.id, make_user())


# --- pages ----------------------------------------------------------------------------------------


def test_the_reading_page_shows_each_passage_with_its_comment_count(client, open_consultation, make_user):
    c = open_consultation
    paragraph = sections(c)[3]
    for body in ("One", "Two", "Three"):
        comment_on(make_user(), paragraph, body)
    html = client.get(f"/consultations/{c.id}/text").get_data(as_text=True)
    assert html.count("<h1") == 1 and "<h2>Scope</h2>" in html and "<h3>Parking</h3>" in html
    assert f'href="/discussions/{paragraph.discussion_id}"' in html
    assert 'aria-label="3 comments on paragraph 2">3</a>' in html
    assert 'aria-label="Comment on paragraph 1">Comment</a>' in html
    assert 'aria-label="Comment on the heading “Scope”">Comment</a>' in html
    assert f'id="section-{paragraph.id}"' in html
    show = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "Read and comment on the draft text (3 paragraphs)" in show


def test_a_draft_consultations_text_is_not_shown_to_citizens(web, login_as, draft, official):
    draft_text.set_draft_text(official, draft, TEXT)
    login_as("citizen")
    assert web.get(f"/consultations/{draft.id}/text").status_code == 403
    assert web.get(f"/discussions/{sections(draft)[0].discussion_id}").status_code == 403


def test_citizens_cannot_open_the_editor(web, login_as, open_consultation):
    login_as("citizen")
    url = f"/consultations/{open_consultation.id}/draft-text"
    assert web.get(url).status_code == 403
    assert (
        web.post(
            url, {"text": "Hacked.", "correction_note": "Mine now."}, form_url=f"/consultations/{open_consultation.id}"
        ).status_code
        == 403
    )
    assert len(sections(open_consultation)) == 5


def test_closed_consultation_text_shows_counts_but_no_invitation(client, open_consultation, make_user, frozen):
    comment_on(make_user(), sections(open_consultation)[1])
    frozen.set(open_consultation.closes_at + timedelta(hours=1))
    html = client.get(f"/consultations/{open_consultation.id}/text").get_data(as_text=True)
    assert "closed on" in html
    assert 'aria-label="1 comment on paragraph 1">1</a>' in html
    assert ">Comment</a>" not in html  # passages without comments offer no link once closed
    show = client.get(f"/consultations/{open_consultation.id}").get_data(as_text=True)
    assert "Read the draft text (3 paragraphs)" in show


def editor(web, c):
    return f"/consultations/{c.id}/draft-text"


def test_official_pastes_the_text_through_the_page(web, login_as, app, frozen):
    official = login_as("official")
    c = new_consultation(official, publish=False)
    url = editor(web, c)
    page = web.get(url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "correction_note" not in page
    response = web.post(url, {"text": TEXT}, form_url=url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/consultations/{c.id}/text")
    assert len(sections(c)) == 5
    show = web.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert f'href="/consultations/{c.id}/draft-text"' in show  # in "For officials"


def test_published_text_change_through_the_page_needs_a_note_and_keeps_the_text(web, login_as, app, frozen):
    official = login_as("official")
    c = new_consultation(official)
    url = editor(web, c)
    refused = web.post(url, {"text": "Changed *text*."}, form_url=url)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Say what you corrected" in html and 'href="#correction_note"' in html
    assert "Changed *text*." in html
    ok = web.post(url, {"text": "Changed *text*.", "correction_note": "Draft text added."}, form_url=url)
    assert ok.status_code == 302
    assert "Draft text added." in web.get(f"/consultations/{c.id}").get_data(as_text=True)


def test_official_uploads_a_markdown_file(web, login_as, app, frozen):
    official = login_as("official")
    c = new_consultation(official, publish=False)
    url = editor(web, c)
    data = {"text": "", "upload": (io.BytesIO(TEXT.encode("utf-8")), "plan.md"), "csrf_token": web.csrf_token(url)}
    response = web.client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert [s.kind for s in sections(c)] == ["heading", "paragraph", "heading", "paragraph", "list"]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("plan.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not plain text"),
        ("plan.md", "Año y señal".encode("latin-1"), "not in UTF-8"),
        ("plan.md", b"a" * (200 * 1024 + 1), "too large"),
        ("plan.docx", b"# Title", "Markdown or plain text file"),
    ],
)
def test_bad_uploads_are_refused_beside_the_field_and_nothing_changes(
    web, login_as, app, frozen, name, content, message
):
    official = login_as("official")
    c = new_consultation(official, publish=False)
    draft_text.set_draft_text(official, c, "Old text.")
    url = editor(web, c)
    data = {"text": "Typed text kept.", "upload": (io.BytesIO(content), name), "csrf_token": web.csrf_token(url)}
    response = web.client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'href="#upload"' in html and "Typed text kept." in html
    db.session.expire_all()
    assert db.session.get(Consultation, c.id).draft_text_markdown == "Old text."
    assert [s.markdown for s in sections(c)] == ["Old text."]


def test_commenting_on_a_passage_through_the_pages(web, login_as, open_consultation, frozen):
    c = open_consultation
    paragraph = sections(c)[1]
    login_as("citizen")
    discussion_url = f"/discussions/{paragraph.discussion_id}"
    page = web.get(discussion_url).get_data(as_text=True)
    assert "This discussion is about this passage of the draft text" in page
    assert "<strong>all streets</strong>" in page  # the passage itself
    assert f'href="/consultations/{c.id}/text#section-{paragraph.id}"' in page
    response = web.post(f"{discussion_url}/comments", {"body": "Include the new quarter."}, form_url=discussion_url)
    assert response.status_code == 302
    text_page = web.get(f"/consultations/{c.id}/text").get_data(as_text=True)
    assert 'aria-label="1 comment on paragraph 1">1</a>' in text_page

    frozen.set(c.closes_at + timedelta(minutes=1))
    seen_just_now()  # still signed in, weeks later
    closed = web.get(discussion_url).get_data(as_text=True)
    assert "takes no new comments" in closed and 'name="body"' not in closed
    refused = web.post(f"{discussion_url}/comments", {"body": "One more thing."}, form_url=discussion_url)
    assert refused.status_code == 409 and "closed on" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Discussion, paragraph.discussion_id).comment_count == 1


def test_the_consultations_own_discussion_links_back(client, open_consultation):
    page = client.get(f"/discussions/{open_consultation.discussion_id}").get_data(as_text=True)
    assert "This discussion is about the consultation:" in page
    assert re.search(rf'<a href="/consultations/{open_consultation.id}">Parking in the Old Town</a>', page)


def test_retired_passages_with_comments_are_listed_under_earlier_wording(
    client, open_consultation, official, make_user
):
    section = sections(open_consultation)[1]
    comment_on(make_user(), section, "All of them?")
    draft_text.set_draft_text(
        official, open_consultation, TEXT.replace("all streets", "most streets"), correction_note="Scope narrowed."
    )
    html = client.get(f"/consultations/{open_consultation.id}/text").get_data(as_text=True)
    earlier = html.split("Comments on earlier wording", 1)[1]
    assert "<strong>all streets</strong>" in earlier and "1 comment on this earlier wording" in earlier
    assert "<strong>most streets</strong>" in html.split("Comments on earlier wording", 1)[0]
    discussion_page = client.get(f"/discussions/{section.discussion_id}").get_data(as_text=True)
    assert "an earlier wording" in discussion_page and "This wording was replaced" in discussion_page
