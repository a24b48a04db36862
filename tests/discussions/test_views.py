"""Discussion pages: every rule answers with a clear message, and the typed text is kept."""

import re

from civic.discussions.models import Comment, CommentVote, Discussion
from civic.discussions.services.comments import delete_comment, post_comment
from civic.discussions.services.discussions import lock_discussion, start_discussion
from civic.extensions import db


def comment_url(d):
    return f"/discussions/{d.id}/comments"


def test_anyone_reads_a_discussion_without_javascript(client, make_user, open_discussion):
    post_comment(make_user(name="Ana"), open_discussion, body="First *view*", stance="in_favour")
    html = client.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert "Should Calle Mayor be car-free?" in html and "<em>view</em>" in html
    assert "In favour" in html and 'data-count="in_favour">1<' in html
    assert "Sign in</a>" in html  # anonymous: invited to sign in, no comment form
    assert 'name="body"' not in html


def test_citizen_posts_a_comment_with_a_stance(web, login_as, open_discussion):
    user = login_as("citizen")
    response = web.post(comment_url(open_discussion), {"body": "Great idea", "stance": "in_favour"})
    assert response.status_code == 302
    comment = db.session.query(Comment).one()
    assert comment.author_id == user.id and comment.stance == "in_favour"
    assert response.headers["Location"].endswith(f"sort=newest#comment-{comment.id}")


def test_empty_comment_is_refused_beside_the_field(web, login_as, open_discussion):
    login_as("citizen")
    response = web.post(comment_url(open_discussion), {"body": "   "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Write your comment first." in html and 'href="#body"' in html
    assert db.session.query(Comment).count() == 0


def test_overlong_comment_is_refused_and_its_text_kept(web, login_as, open_discussion):
    login_as("citizen")
    text = "word " * 2500
    response = web.post(comment_url(open_discussion), {"body": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "at most 10000 characters" in html or "at most 10,000 characters" in html
    assert "word word word" in html
    assert db.session.query(Comment).count() == 0


def test_reply_form_is_on_the_comment_page_and_a_failed_reply_keeps_its_text(web, login_as, make_user, open_discussion):
    parent = post_comment(make_user(), open_discussion, body="parent")
    login_as("citizen")
    page = web.get(f"/discussions/{open_discussion.id}/comments/{parent.id}?reply_to={parent.id}")
    assert f'id="reply-{parent.id}"' in page.get_data(as_text=True)
    response = web.post(comment_url(open_discussion), {"reply-body": "x" * 10_001, "reply-parent_id": parent.id})
    assert response.status_code == 422 and "xxxxxxxxxx" in response.get_data(as_text=True)
    ok = web.post(comment_url(open_discussion), {"reply-body": "a reply", "reply-parent_id": parent.id})
    assert ok.status_code == 302
    reply = db.session.query(Comment).filter(Comment.parent_id == parent.id).one()
    assert ok.headers["Location"].endswith(f"/comments/{reply.id}#comment-{reply.id}")


def test_forged_parent_from_another_discussion_changes_nothing(web, login_as, make_user, open_discussion, category):
    other = start_discussion(make_user(), category, title="Other", body="x")
    foreign = post_comment(make_user(), other, body="foreign")
    login_as("citizen")
    response = web.post(comment_url(open_discussion), {"reply-body": "sneaky", "reply-parent_id": foreign.id})
    assert response.status_code == 422
    assert "not in this discussion" in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 1


def test_reply_to_a_deleted_comment_is_refused_with_a_message(web, login_as, make_user, open_discussion):
    author = make_user()
    gone = post_comment(author, open_discussion, body="gone")
    delete_comment(author, gone)
    login_as("citizen")
    response = web.post(comment_url(open_discussion), {"reply-body": "hello?", "reply-parent_id": gone.id})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "deleted or hidden" in html and "hello?" in html


def test_locked_discussion_refuses_comments_with_its_reason(web, login_as, locked_discussion):
    login_as("citizen")
    page = web.get(f"/discussions/{locked_discussion.id}").get_data(as_text=True)
    assert "Consultation closed" in page and 'name="body"' not in page
    response = web.post(comment_url(locked_discussion), {"body": "let me in"})
    assert response.status_code == 409 and "Consultation closed" in response.get_data(as_text=True)
    assert db.session.query(Comment).count() == 0


def test_the_live_script_is_told_what_the_reader_may_do(web, login_as, open_discussion, make_user):
    def abilities():
        html = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
        return set(re.search(r'data-abilities="([^"]*)"', html).group(1).split())

    assert abilities() == set()
    login_as("citizen")
    assert abilities() == {"participant", "voter", "reporter"}
    web.post("/sign-out")
    login_as("moderator")
    assert abilities() == {"participant", "voter", "moderator", "pinner", "reporter"}
    lock_discussion(make_user(roles=("citizen", "moderator")), open_discussion, "Cooling off")
    # a lock stops everyone's comments, not votes or reports
    assert abilities() == {"voter", "moderator", "pinner", "reporter"}


def test_anonymous_posts_and_votes_go_to_sign_in(client, web, make_user, open_discussion):
    comment = post_comment(make_user(), open_discussion, body="x")
    response = web.post(comment_url(open_discussion), {"body": "anon"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    vote = web.post(f"/discussions/{open_discussion.id}/comments/{comment.id}/vote", {"value": "1"})
    assert vote.status_code == 302 and "/sign-in" in vote.headers["Location"]
    assert db.session.query(CommentVote).count() == 0


def test_voting_through_the_page(web, login_as, make_user, open_discussion):
    comment = post_comment(make_user(), open_discussion, body="vote")
    login_as("citizen")
    url = f"/discussions/{open_discussion.id}/comments/{comment.id}/vote"
    assert web.post(url, {"value": "1"}).status_code == 302
    page = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    db.session.refresh(comment)
    assert comment.upvotes == 1
    assert web.post(url, {"value": "7"}).status_code == 422


def test_author_cannot_vote_on_own_comment(web, login_as, open_discussion):
    me = login_as("citizen")
    mine = post_comment(me, open_discussion, body="mine")
    response = web.post(f"/discussions/{open_discussion.id}/comments/{mine.id}/vote", {"value": "1"})
    assert response.status_code == 403
    page = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert "vote-form" not in page


def test_sort_choice_is_kept_in_the_url(client, make_user, open_discussion):
    post_comment(make_user(), open_discussion, body="x")
    html = client.get(f"/discussions/{open_discussion.id}?sort=controversial").get_data(as_text=True)
    assert re.search(r'href="[^"]*sort=controversial"\s*aria-current="true"', html)


def test_show_more_link_pages_top_level_comments(client, make_user, open_discussion):
    author = make_user()
    for n in range(55):
        post_comment(author, open_discussion, body=f"c{n}")
    first = client.get(f"/discussions/{open_discussion.id}?sort=oldest").get_data(as_text=True)
    assert "Show more comments" in first and "page=2" in first
    second = client.get(f"/discussions/{open_discussion.id}?sort=oldest&page=2").get_data(as_text=True)
    assert second.count('class="comment level-0') == 5 and "Show more comments" not in second
    partial = client.get(f"/discussions/{open_discussion.id}?sort=oldest&page=2&partial=1")
    assert partial.headers["X-Has-More"] == "0" and "<html" not in partial.get_data(as_text=True)


def test_permalink_highlights_the_comment_and_continue_this_thread(client, make_user, open_discussion):
    author = make_user()
    parent = None
    chain = []
    for level in range(7):
        parent = post_comment(author, open_discussion, body=f"level {level}", parent_id=parent.id if parent else None)
        chain.append(parent)
    page = client.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert "Continue this thread" in page and f"comment-{chain[5].id}" not in page.split("Continue this thread")[0]
    deep = client.get(f"/discussions/{open_discussion.id}/comments/{chain[6].id}").get_data(as_text=True)
    assert f'id="comment-{chain[6].id}"' in deep and "is-target" in deep
    assert "Earlier in this thread" in deep
    assert client.get(f"/discussions/{open_discussion.id}/comments/99999").status_code == 404


def test_edit_and_delete_own_comment(web, login_as, open_discussion):
    me = login_as("citizen")
    comment = post_comment(me, open_discussion, body="typo")
    base = f"/discussions/{open_discussion.id}/comments/{comment.id}"
    assert "typo" in web.get(f"{base}/edit").get_data(as_text=True)
    assert web.post(f"{base}/edit", {"body": "fixed"}, form_url=f"{base}/edit").status_code == 302
    db.session.refresh(comment)
    assert comment.body_markdown == "fixed" and comment.edited_at
    assert "edited" in web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    assert web.post(f"{base}/delete", {}, form_url=f"{base}/delete").status_code == 302
    db.session.refresh(comment)
    assert comment.is_deleted
    assert "[deleted]" in web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)


def test_others_cannot_edit_delete_or_hide(web, login_as, make_user, open_discussion):
    comment = post_comment(make_user(), open_discussion, body="not yours")
    login_as("citizen")
    base = f"/discussions/{open_discussion.id}/comments/{comment.id}"
    for path in ("edit", "delete", "history"):
        assert web.get(f"{base}/{path}").status_code == 403
    assert web.get(f"/staff/moderation/comment/{comment.id}/hide").status_code == 403


def test_moderator_hides_with_a_reason_shown_to_readers(web, login_as, make_user, open_discussion):
    comment = post_comment(make_user(), open_discussion, body="insulting text")
    login_as("moderator")
    url = f"/staff/moderation/comment/{comment.id}/hide"
    refused = web.post(url, {"reason": "abuse", "explanation": ""}, form_url=url)
    assert refused.status_code == 422
    sent = web.post(url, {"reason": "abuse", "explanation": "Personal attack"}, form_url=url)
    assert sent.status_code == 302
    page = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    # The public reads the standard reason; the moderator's words are for the author only.
    assert "Hidden by moderation: Abuse or harassment" in page
    assert "insulting text" not in page and "Personal attack" not in page


def test_moderator_locks_with_a_visible_reason(web, login_as, open_discussion):
    login_as("moderator")
    url = f"/discussions/{open_discussion.id}/lock"
    assert web.post(url, {"reason": "Heated; cooling off"}, form_url=url).status_code == 302
    db.session.refresh(open_discussion)
    assert open_discussion.is_locked
    assert "Heated; cooling off" in web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)


def test_start_a_discussion_through_the_page(web, login_as, category):
    login_as("citizen")
    assert "Transport" in web.get("/discussions/new").get_data(as_text=True)
    missing = web.post("/discussions/new", {"title": "x", "body": "y"}, form_url="/discussions/new")
    assert missing.status_code == 422 and "Choose a category" in missing.get_data(as_text=True)
    ok = web.post(
        "/discussions/new",
        {"category": "transport", "title": "Night buses", "body": "More please"},
        form_url="/discussions/new",
    )
    assert ok.status_code == 302
    assert db.session.query(Discussion).filter_by(title="Night buses").one()
    assert "Night buses" in web.get("/discussions/").get_data(as_text=True)
    assert "Night buses" in web.get("/").get_data(as_text=True)


def test_follow_and_notifications_page(web, login_as, make_user, open_discussion):
    me = login_as("citizen")
    url = f"/discussions/{open_discussion.id}/follow"
    assert web.post(url, {"follow": "1"}, form_url=f"/discussions/{open_discussion.id}").status_code == 302
    post_comment(make_user(name="Berta"), open_discussion, body=f"hello @{me.handle}")
    home = web.get("/").get_data(as_text=True)
    assert re.search(r"data-unread-count\s*>1<", home)
    page = web.get("/notifications/").get_data(as_text=True)
    assert "Berta mentioned you" in page
    web.post("/notifications/read", {}, form_url="/notifications/")
    assert re.search(r"data-unread-count hidden>0<", web.get("/").get_data(as_text=True))


def test_posting_is_rate_limited_with_a_message_and_the_text_kept(app, web, login_as, open_discussion):
    app.config["CIVIC_LIMIT_COMMENT"] = "3 per minute"
    login_as("citizen")
    for n in range(3):
        assert web.post(comment_url(open_discussion), {"body": f"quick {n}"}).status_code == 302
    response = web.post(comment_url(open_discussion), {"body": "one too many"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "You can post again in" in html and "one too many" in html
    assert db.session.query(Comment).count() == 3


def test_admin_manages_categories(web, login_as):
    login_as("admin")
    response = web.post(
        "/admin/categories",
        {"name": "Parks", "description": "Green spaces", "citizens_may_start": "y"},
        form_url="/admin/categories",
    )
    assert response.status_code == 302
    assert "Parks" in web.get("/discussions/").get_data(as_text=True)
    empty = web.post("/admin/categories", {"name": ""}, form_url="/admin/categories")
    assert empty.status_code == 422


def test_continue_this_thread_starts_at_the_comment(client, make_user, open_discussion):
    author = make_user()
    parent, chain = None, []
    for level in range(9):
        parent = post_comment(author, open_discussion, body=f"level {level}", parent_id=parent.id if parent else None)
        chain.append(parent)
    page = client.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*from_here=1[^"]*)"', page).group(1).replace("&amp;", "&")
    continued = client.get(link).get_data(as_text=True)
    shown = {c.id for c in chain if f'id="comment-{c.id}"' in continued}
    assert shown == {c.id for c in chain[4:9]}


def test_kept_comment_cards_show_exactly_what_a_fresh_render_shows_to_every_reader(
    app, web, login_as, make_user, open_discussion
):
    """Comment cards are kept per app (civic/discussions/presenting.py) and keyed by everything they
    show: a page built from kept cards is the page a fresh render gives, for each kind of reader,
    and an edit, a vote or a moderator's decision shows at once."""
    from civic.discussions.services.comments import edit_comment
    from civic.discussions.services.votes import vote_on_comment
    from tests.support.moderation import hide_comment

    def page():
        html = web.get(f"/discussions/{open_discussion.id}").get_data(as_text=True)
        # A CSRF token is signed with the time; compare pages without it.
        return re.sub(r'(name="csrf_token"[^>]*value="|data-csrf-token>)[^"<]+', r"\1TOKEN", html)

    def fresh_page():
        kept = app.config["CIVIC_COMMENT_CARDS_KEPT"]
        app.config["CIVIC_COMMENT_CARDS_KEPT"] = 0
        app.extensions.pop("civic_comment_cards", None)
        try:
            return page()
        finally:
            app.config["CIVIC_COMMENT_CARDS_KEPT"] = kept

    author = make_user(name="Ana")
    theirs = post_comment(author, open_discussion, body="Theirs")
    reply = post_comment(author, open_discussion, body="A reply", parent_id=theirs.id)
    assert app.config["CIVIC_COMMENT_CARDS_KEPT"] > 0
    readers = [None, "citizen", "moderator"]
    for role in readers:
        if role:
            web.post("/sign-out")
            me = login_as(role)
            post_comment(me, open_discussion, body=f"Mine as {role}")
            vote_on_comment(me, reply, 1)
            page()  # shows the "you are signed in" message once
        first = page()  # renders and keeps the cards
        assert page() == first == fresh_page()
        if role == "citizen":
            assert "Mine as citizen" in first and 'aria-pressed="true"' in first
    moderator = make_user(roles=("citizen", "moderator"))
    edit_comment(author, theirs, body="Theirs, corrected")
    vote_on_comment(moderator, theirs, -1)
    hide_comment(moderator, reply, "Off topic")
    after = page()
    assert app.extensions["civic_comment_cards"]  # the page was built from kept cards
    assert after == fresh_page()
    assert "Theirs, corrected" in after and "Hidden by moderation" in after and "A reply" not in after


def test_a_vote_returns_to_the_page_at_that_comment(web, login_as, make_user, open_discussion):
    """Issue 12: voting without JavaScript landed on the comment's own page; the reader lost their place."""
    comments_ = [post_comment(make_user(), open_discussion, body=f"Comment {n}") for n in range(3)]
    login_as("citizen")
    page_url = f"/discussions/{open_discussion.id}?sort=newest"
    html = web.get(page_url).get_data(as_text=True)
    target = comments_[1]
    back = f"/discussions/{open_discussion.id}?sort=newest#comment-{target.id}"
    assert f'name="next" value="{back}"' in html
    response = web.post(f"/discussions/{open_discussion.id}/comments/{target.id}/vote", {"value": "1", "next": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(back)


def test_a_reply_returns_to_the_page_it_was_written_from_at_the_comment_answered(
    web, login_as, make_user, open_discussion
):
    parent = post_comment(make_user(), open_discussion, body="Answer me")
    login_as("citizen")
    html = web.get(f"/discussions/{open_discussion.id}?sort=oldest").get_data(as_text=True)
    start = html.index(f'href="/discussions/{open_discussion.id}/comments/{parent.id}?reply_to={parent.id}')
    link = html[start + len('href="') : html.index('"', start + len('href="'))].replace("&amp;", "&")
    assert "next=%2Fdiscussions%2F" in link
    form_page = web.get(link).get_data(as_text=True)
    assert f'name="reply-next" type="hidden" value="/discussions/{open_discussion.id}?sort=oldest"' in form_page
    response = web.post(
        f"/discussions/{open_discussion.id}/comments",
        {
            "reply-body": "Here you are",
            "reply-parent_id": parent.id,
            "reply-next": f"/discussions/{open_discussion.id}?sort=oldest",
        },
        form_url=link,
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/discussions/{open_discussion.id}?sort=oldest#comment-{parent.id}")
    evil = web.post(
        f"/discussions/{open_discussion.id}/comments",
        {"reply-body": "Again", "reply-parent_id": parent.id, "reply-next": "//evil.example/"},
        form_url=link,
    )
    assert "evil.example" not in evil.headers["Location"]


def test_the_unread_count_comes_with_the_person_and_follows_marking_read(web, login_as, make_user, open_discussion):
    """The header's count is loaded with the signed-in person in one query (issue 10); marking
    notifications read in a request counts them again, not from what was loaded."""
    from civic.notifications import services as notifications
    from tests.support.queries import counting_queries

    me = login_as("citizen")
    post_comment(make_user(name="Berta"), open_discussion, body=f"hello @{me.handle}")
    web.get("/about")  # notes "last seen" once
    with counting_queries() as queries:
        about = web.get("/about").get_data(as_text=True)
    assert re.search(r"data-unread-count\s*>1<", about)
    assert not [s for s in queries.statements if "notification" in s.lower() and "user_session" not in s.lower()]
    me.unread_at_load = 1
    notifications.mark_all_read(me)
    assert notifications.unread_count(me) == 0
