"""Live events of a discussion, pushed after each commit to everyone viewing it.

Comment HTML is rendered once, for a generic reader; the page's script fills in the CSRF
token and shows the controls that the reader's role and authorship allow."""

from flask import current_app, has_request_context, render_template

from civic.discussions.presenting import CommentPage
from civic.realtime import publish, publish_tally, room_for


def render_comment(comment):
    """The comment's HTML for a generic reader, inside a request or outside one (a background job)."""
    if not has_request_context():
        with current_app.test_request_context(base_url=current_app.config["CIVIC_BASE_URL"]):
            return render_comment(comment)
    return render_template(
        "discussions/_comment_live.html", comment=comment, comment_page=CommentPage(comment.discussion_id)
    )


def _counts(discussion):
    return {
        "comments": discussion.comment_count,
        "top_level": discussion.top_level_count,
        "in_favour": discussion.in_favour_count,
        "against": discussion.against_count,
        "neutral": discussion.neutral_count,
    }


def _room(discussion):
    return room_for("discussion", discussion.id)


def comment_posted(discussion, comment):
    publish(
        _room(discussion),
        "comment_posted",
        {
            "discussion_id": discussion.id,
            "comment_id": comment.id,
            "parent_id": comment.parent_id,
            "root_id": comment.root_id,
            "depth": comment.depth,
            "html": render_comment(comment),
            "counts": _counts(discussion),
        },
    )
    publish_tally("discussion", discussion.id, {"comments": discussion.comment_count})


def comment_changed(comment, event):
    """comment_edited, comment_deleted or comment_hidden: the new HTML replaces the old."""
    discussion = comment.discussion
    publish(
        _room(discussion),
        event,
        {
            "discussion_id": discussion.id,
            "comment_id": comment.id,
            "html": render_comment(comment),
            "counts": _counts(discussion),
        },
    )
    if event != "comment_edited":
        publish_tally("discussion", discussion.id, {"comments": discussion.comment_count})


def comments_changed(discussion, changes):
    """Many comments of one discussion changed at once (a moderator's bulk action): one event with
    each comment's new HTML, instead of one event per comment for every open page.
    changes: [(comment, "comment_hidden" | "comment_edited")]."""
    publish(
        _room(discussion),
        "comments_changed",
        {
            "discussion_id": discussion.id,
            "changes": [
                {"comment_id": comment.id, "event": event, "html": render_comment(comment)}
                for comment, event in changes
            ],
            "counts": _counts(discussion),
        },
    )
    publish_tally("discussion", discussion.id, {"comments": discussion.comment_count})


def votes_changed(comment):
    publish(
        _room(comment.discussion),
        "votes_changed",
        {
            "discussion_id": comment.discussion_id,
            "comment_id": comment.id,
            "up": comment.upvotes,
            "down": comment.downvotes,
        },
    )


def discussion_locked(discussion):
    publish(
        _room(discussion),
        "discussion_locked",
        {
            "discussion_id": discussion.id,
            "locked": discussion.is_locked,
            "reason": discussion.lock_reason,
        },
    )


def discussion_hidden(discussion):
    """A topic hidden by moderation, or shown again: open pages reload (a reader who may no longer read
    it sees the notice in its place)."""
    publish(_room(discussion), "discussion_hidden", {"discussion_id": discussion.id, "hidden": discussion.is_hidden})
