"""Discussion rules, checked through the services."""

import pytest
from sqlalchemy import select

from civic.audit.models import AuditEntry
from civic.discussions.models import Comment, CommentRevision, CommentVote, DiscussionFollow
from civic.discussions.services.categories import save_category
from civic.discussions.services.comments import (
    comment_history,
    delete_comment,
    edit_comment,
    get_comment,
    pin_comment,
    post_comment,
)
from civic.discussions.services.discussions import (
    follow_discussion,
    is_following,
    lock_discussion,
    start_discussion,
    unfollow_discussion,
    unlock_discussion,
)
from civic.discussions.services.threads import REPLIES_SHOWN_PER_PAGE, REPLIES_SHOWN_PER_THREAD, sub_thread, thread_page
from civic.discussions.services.votes import vote_on_comment
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound, ParticipationClosed, RateLimited
from civic.extensions import db
from civic.moderation.models import ModerationDecision
from civic.notifications.models import Notification
from tests.support.moderation import hide_comment


def counts(d):
    db.session.refresh(d)
    return (d.comment_count, d.in_favour_count, d.against_count, d.neutral_count)


def test_citizens_start_discussions_only_where_staff_allow_it(app, admin, make_user, category):
    citizen = make_user()
    discussion = start_discussion(citizen, category, title="  Bus lanes  ", body="Where?")
    assert discussion.title == "Bus lanes" and discussion.author_id == citizen.id
    assert is_following(citizen, discussion)
    closed = save_category(admin, name="Budget", citizens_may_start=False)
    with pytest.raises(NotAllowed):
        start_discussion(citizen, closed, title="x", body="y")
    official = make_user(roles=("citizen", "official"))
    assert start_discussion(official, closed, title="Budget 2027", body="Tell us").id


def test_starting_a_discussion_checks_its_fields(app, make_user, category):
    citizen = make_user()
    with pytest.raises(InvalidInput) as info:
        start_discussion(citizen, category, title="   ", body="body")
    assert info.value.field == "title"
    with pytest.raises(InvalidInput):
        start_discussion(citizen, category, title="x" * 151, body="body")
    with pytest.raises(InvalidInput):
        start_discussion(citizen, category, title="ok", body="x" * 10_001)


def test_categories_are_managed_by_admins_and_audited(app, admin, make_user):
    with pytest.raises(NotAllowed):
        save_category(make_user(roles=("citizen", "moderator")), name="Housing")
    housing = save_category(admin, name="Vivienda y Barrios")
    assert housing.slug == "vivienda-y-barrios"
    with pytest.raises(InvalidInput):
        save_category(admin, name="Vivienda y barrios")
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "category")) == "category.create"


def test_comment_and_reply_at_any_depth_keep_the_tree(app, make_user, open_discussion):
    a, b = make_user(), make_user()
    top = post_comment(a, open_discussion, body="top")
    parent = top
    for level in range(1, 8):
        parent = post_comment(b if level % 2 else a, open_discussion, body=f"level {level}", parent_id=parent.id)
        assert parent.depth == level and parent.root_id == top.id
        assert parent.path.startswith(top.path)
    db.session.refresh(top)
    assert top.reply_count == 7
    assert counts(open_discussion)[0] == 8
    assert open_discussion.top_level_count == 1


def test_comment_text_is_checked(app, make_user, open_discussion):
    citizen = make_user()
    for body in ("", "    \n\t  "):
        with pytest.raises(InvalidInput, match="Write your comment"):
            post_comment(citizen, open_discussion, body=body)
    with pytest.raises(InvalidInput, match="10000|10,000"):
        post_comment(citizen, open_discussion, body="x" * 10_001)
    assert post_comment(citizen, open_discussion, body="x" * 10_000).id
    with pytest.raises(InvalidInput):
        post_comment(citizen, open_discussion, body="hi", stance="maybe")
    assert db.session.query(Comment).count() == 1


def test_markdown_is_rendered_and_sanitised(app, make_user, open_discussion):
    comment = post_comment(
        make_user(),
        open_discussion,
        body="**bold** [site](https://example.org) <script>alert(1)</script> "
        "[x](javascript:alert(1))\n\n> quote\n\n- item",
    )
    html = comment.body_html
    assert "<strong>bold</strong>" in html and "<blockquote>" in html and "<li>item</li>" in html
    assert 'rel="nofollow ugc noopener"' in html
    assert "<script" not in html and 'href="javascript' not in html


def test_cannot_comment_in_a_locked_discussion(app, make_user, locked_discussion):
    with pytest.raises(ParticipationClosed, match="Consultation closed"):
        post_comment(make_user(), locked_discussion, body="hello")
    assert db.session.query(Comment).count() == 0


def test_a_lock_stops_moderators_too_and_edits_as_well(app, make_user, open_discussion):
    moderator = make_user(roles=("citizen", "moderator"))
    author = make_user()
    mine = post_comment(author, open_discussion, body="before the lock")
    lock_discussion(moderator, open_discussion, "Cooling off")
    with pytest.raises(ParticipationClosed, match="Cooling off"):
        post_comment(moderator, open_discussion, body="me neither")
    with pytest.raises(ParticipationClosed, match="Cooling off"):
        edit_comment(author, mine, body="changed")
    assert db.session.query(Comment).count() == 1


def test_the_comment_limit_is_applied_by_the_service_and_says_when_to_post_again(app, make_user, open_discussion):
    app.config["CIVIC_LIMIT_COMMENT"] = "2 per minute"
    author = make_user()
    post_comment(author, open_discussion, body="one")
    with pytest.raises(InvalidInput):
        post_comment(author, open_discussion, body="")  # refused input does not count
    post_comment(author, open_discussion, body="two")
    with pytest.raises(RateLimited, match="You can post again in") as refused:
        post_comment(author, open_discussion, body="three")
    assert 0 < refused.value.retry_after <= 60
    assert post_comment(make_user(), open_discussion, body="someone else").id
    assert db.session.query(Comment).count() == 3


def test_cannot_reply_to_a_deleted_or_hidden_comment(app, make_user, open_discussion):
    author, other = make_user(), make_user()
    moderator = make_user(roles=("citizen", "moderator"))
    deleted = post_comment(author, open_discussion, body="soon gone")
    delete_comment(author, deleted)
    hidden = post_comment(author, open_discussion, body="rude")
    hide_comment(moderator, hidden, "Insults")
    for parent in (deleted, hidden):
        with pytest.raises(ParticipationClosed):
            post_comment(other, open_discussion, body="reply", parent_id=parent.id)


def test_a_parent_from_another_discussion_is_refused(app, make_user, open_discussion, category):
    citizen = make_user()
    elsewhere = start_discussion(citizen, category, title="Other", body="other")
    foreign = post_comment(citizen, elsewhere, body="over there")
    before = db.session.query(Comment).count()
    for forged in (foreign.id, 999999, "abc"):
        with pytest.raises(InvalidInput):
            post_comment(citizen, open_discussion, body="sneaky", parent_id=forged)
    assert db.session.query(Comment).count() == before


def test_stance_counts_follow_posts_edits_deletions_and_hiding(app, make_user, open_discussion):
    a, b = make_user(), make_user()
    moderator = make_user(roles=("citizen", "moderator"))
    c1 = post_comment(a, open_discussion, body="yes", stance="in_favour")
    c2 = post_comment(b, open_discussion, body="no", stance="against")
    post_comment(b, open_discussion, body="hmm", stance="neutral")
    post_comment(a, open_discussion, body="no stance")
    assert counts(open_discussion) == (4, 1, 1, 1)
    edit_comment(a, c1, body="actually no", stance="against")
    assert counts(open_discussion) == (4, 0, 2, 1)
    delete_comment(b, c2)
    assert counts(open_discussion) == (3, 0, 1, 1)
    hide_comment(moderator, c1, "Off topic")
    assert counts(open_discussion) == (2, 0, 0, 1)


def test_edit_keeps_earlier_versions_for_moderators(app, make_user, open_discussion):
    author = make_user()
    comment = post_comment(author, open_discussion, body="first")
    edit_comment(author, comment, body="second")
    edit_comment(author, comment, body="third")
    assert comment.edited_at is not None and comment.body_markdown == "third"
    moderator = make_user(roles=("citizen", "moderator"))
    assert [r.body_markdown for r in comment_history(moderator, comment)] == ["second", "first"]
    with pytest.raises(NotAllowed):
        comment_history(author, comment)
    with pytest.raises(NotAllowed):
        edit_comment(make_user(), comment, body="not mine")


def test_delete_leaves_the_replies_in_place(app, make_user, open_discussion):
    author, replier = make_user(), make_user()
    comment = post_comment(author, open_discussion, body="original")
    reply = post_comment(replier, open_discussion, body="reply", parent_id=comment.id)
    delete_comment(author, comment)
    assert comment.is_deleted and comment.body_html == "" and comment.body_markdown == ""
    thread = thread_page(open_discussion)
    assert thread.roots == [comment] and thread.replies(comment) == [reply]
    revision = db.session.scalar(select(CommentRevision).where(CommentRevision.comment_id == comment.id))
    assert revision.body_markdown == "original"  # kept for moderators


def test_votes_are_one_per_person_changeable_and_removable(app, make_user, open_discussion):
    author, voter = make_user(), make_user()
    comment = post_comment(author, open_discussion, body="vote on me")
    vote_on_comment(voter, comment, 1)
    vote_on_comment(voter, comment, 1)
    assert (comment.upvotes, comment.downvotes) == (1, 0)
    vote_on_comment(voter, comment, -1)
    assert (comment.upvotes, comment.downvotes) == (0, 1)
    vote_on_comment(voter, comment, 0)
    assert (comment.upvotes, comment.downvotes) == (0, 0)
    assert db.session.query(CommentVote).count() == 0
    with pytest.raises(NotAllowed):
        vote_on_comment(author, comment, 1)
    with pytest.raises(InvalidInput):
        vote_on_comment(voter, comment, 5)


def test_anonymous_visitors_cannot_vote(app, make_user, open_discussion):
    from civic.accounts.models import AnonymousUser
    from civic.errors import AuthenticationRequired

    comment = post_comment(make_user(), open_discussion, body="x")
    with pytest.raises(AuthenticationRequired):
        vote_on_comment(AnonymousUser(), comment, 1)


def test_sorting_best_newest_oldest_controversial(app, make_user, open_discussion):
    author = make_user()
    voters = [make_user() for _ in range(6)]
    loved = post_comment(author, open_discussion, body="loved")
    split = post_comment(author, open_discussion, body="split")
    post_comment(author, open_discussion, body="plain")
    for voter in voters:
        vote_on_comment(voter, loved, 1)
    for voter in voters[:3]:
        vote_on_comment(voter, split, 1)
    for voter in voters[3:]:
        vote_on_comment(voter, split, -1)
    order = lambda sort: [c.body_markdown for c in thread_page(open_discussion, sort=sort).roots]  # noqa: E731
    assert order("best") == ["loved", "split", "plain"]
    assert order("newest") == ["plain", "split", "loved"]
    assert order("oldest") == ["loved", "split", "plain"]
    assert order("controversial")[0] == "split"
    assert order("nonsense") == order("best")


def test_pinned_comments_come_first(app, make_user, open_discussion):
    author, voter = make_user(), make_user()
    official = make_user(roles=("citizen", "official"))
    first = post_comment(author, open_discussion, body="popular")
    vote_on_comment(voter, first, 1)
    notice = post_comment(official, open_discussion, body="Official update")
    pin_comment(official, notice)
    assert thread_page(open_discussion).roots[0] == notice
    reply = post_comment(author, open_discussion, body="r", parent_id=first.id)
    with pytest.raises(InvalidInput):
        pin_comment(official, reply)
    with pytest.raises(NotAllowed):
        pin_comment(author, first)


def test_top_level_comments_come_in_pages_of_fifty(app, make_user, open_discussion):
    author = make_user()
    for n in range(120):
        post_comment(author, open_discussion, body=f"comment {n}")
    first, second, third = (thread_page(open_discussion, sort="oldest", page=p) for p in (1, 2, 3))
    assert len(first.roots) == 50 and first.has_more
    assert len(second.roots) == 50 and second.has_more
    assert len(third.roots) == 20 and not third.has_more
    assert first.roots[0].body_markdown == "comment 0" and second.roots[0].body_markdown == "comment 50"


def test_deep_replies_load_on_demand(app, make_user, open_discussion):
    author = make_user()
    top = post_comment(author, open_discussion, body="top")
    parent = top
    chain = [top]
    for level in range(1, 9):
        parent = post_comment(author, open_discussion, body=f"level {level}", parent_id=parent.id)
        chain.append(parent)
    thread = thread_page(open_discussion)
    loaded = {c.id for c in thread.all_comments()}
    assert loaded == {c.id for c in chain[:5]}  # levels 0..4 on the page
    deeper = sub_thread(open_discussion, chain[4])
    assert {c.id for c in deeper.all_comments()} == {c.id for c in chain[4:]}


def test_many_replies_under_one_comment_are_capped_on_the_page(app, make_user, open_discussion):
    author = make_user()
    top = post_comment(author, open_discussion, body="top")
    for n in range(40):
        post_comment(author, open_discussion, body=f"reply {n}", parent_id=top.id)
    thread = thread_page(open_discussion)
    assert len(thread.replies(top)) == REPLIES_SHOWN_PER_THREAD
    db.session.refresh(top)
    assert top.reply_count - thread.shown_reply_count(top) == 40 - REPLIES_SHOWN_PER_THREAD


def test_a_page_shows_a_bounded_number_of_replies_spread_over_its_threads(app, make_user, open_discussion):
    author = make_user()
    roots = [post_comment(author, open_discussion, body=f"root {n}") for n in range(30)]
    for root in roots:
        reply = post_comment(author, open_discussion, body="first reply", parent_id=root.id)
        post_comment(author, open_discussion, body="reply to the reply", parent_id=reply.id)
        post_comment(author, open_discussion, body="second reply", parent_id=root.id)
    thread = thread_page(open_discussion, sort="oldest")
    shown = [c for c in thread.all_comments() if c.depth > 0]
    assert len(shown) == REPLIES_SHOWN_PER_PAGE
    assert all(thread.replies(root) for root in thread.roots)  # every thread shows its first reply
    shown_ids = {c.id for c in thread.all_comments()}
    assert all(c.parent_id in shown_ids for c in shown)  # never a reply without its parent


def test_mentions_link_to_profiles_and_notify(app, make_user, open_discussion):
    author = make_user(name="Ana Robles")
    mentioned = make_user(name="Tomás Ibarra")
    assert mentioned.handle == "tomas_ibarra"
    comment = post_comment(author, open_discussion, body="What do you think, @tomas_ibarra? And @nobody_here?")
    assert f'href="/people/{mentioned.id}"' in comment.body_html and "@nobody_here" in comment.body_html
    kinds = {(n.user_id, n.kind) for n in db.session.query(Notification)}
    assert (mentioned.id, "mention") in kinds


def test_replies_and_followers_are_notified_once_each(app, make_user, open_discussion):
    starter = db.session.get(type(make_user()), open_discussion.author_id)
    a, b = make_user(), make_user()
    first = post_comment(a, open_discussion, body="first")
    post_comment(b, open_discussion, body="@" + a.handle + " I disagree", parent_id=first.id)
    rows = [(n.user_id, n.kind) for n in db.session.query(Notification).order_by(Notification.id)]
    # the starter follows the discussion; a is told once, as the mention (best reason first)
    assert rows.count((starter.id, "followed_comment")) == 2
    assert [r for r in rows if r[0] == a.id] == [(a.id, "mention")]
    assert not [r for r in rows if r[0] == b.id]


def test_follow_and_unfollow(app, make_user, open_discussion):
    reader = make_user()
    follow_discussion(reader, open_discussion)
    follow_discussion(reader, open_discussion)
    assert db.session.query(DiscussionFollow).filter_by(user_id=reader.id).count() == 1
    unfollow_discussion(reader, open_discussion)
    assert not is_following(reader, open_discussion)


def test_lock_and_unlock_need_a_reason_and_are_audited(app, make_user, open_discussion):
    moderator = make_user(roles=("citizen", "moderator"))
    with pytest.raises(InvalidInput):
        lock_discussion(moderator, open_discussion, "  ")
    with pytest.raises(NotAllowed):
        lock_discussion(make_user(), open_discussion, "I want quiet")
    lock_discussion(moderator, open_discussion, "Closed for the summer")
    with pytest.raises(Conflict):
        lock_discussion(moderator, open_discussion, "again")
    unlock_discussion(moderator, open_discussion, "Back")
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-2:] == ["discussion.lock", "discussion.unlock"]


def test_hiding_is_audited_with_its_reason(app, make_user, open_discussion):
    moderator = make_user(roles=("citizen", "moderator"))
    comment = post_comment(make_user(), open_discussion, body="rude words")
    hide_comment(moderator, comment, "Personal attack")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.hide"))
    assert entry.reason == "Abuse or harassment" and entry.target_id == comment.id
    decision = db.session.scalar(select(ModerationDecision).where(ModerationDecision.audit_entry_id == entry.id))
    assert decision.explanation == "Personal attack" and decision.moderator_id == moderator.id
    with pytest.raises(Conflict):
        hide_comment(moderator, comment, "again")


def test_a_comment_from_another_discussion_is_not_found(app, make_user, open_discussion, category):
    citizen = make_user()
    elsewhere = start_discussion(citizen, category, title="Other", body="x")
    comment = post_comment(citizen, elsewhere, body="x")
    with pytest.raises(NotFound):
        get_comment(open_discussion, comment.id)


def test_wilson_and_controversy_scores():
    from civic.discussions.scoring import controversy, wilson_lower_bound

    assert wilson_lower_bound(0, 0) == 0
    assert wilson_lower_bound(100, 1) > wilson_lower_bound(10, 0) > wilson_lower_bound(1, 0)
    assert controversy(10, 0) == 0 and controversy(50, 50) > controversy(90, 10)
