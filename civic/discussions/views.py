"""Discussion pages. Writes are form posts that redirect; they work without JavaScript."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from civic.common.forms import errors_on, render_form
from civic.common.inputs import row_id
from civic.common.pagination import requested_page
from civic.common.urls import local_target, redirect_back
from civic.discussions import forms
from civic.discussions.contexts import context_of
from civic.discussions.presenting import CommentPage
from civic.discussions.services import comments, discussions, threads, votes
from civic.discussions.services.categories import get_category, list_categories
from civic.discussions.shared_threads import shared_thread
from civic.errors import NotFound
from civic.permissions import can, ensure_can
from civic.premoderation import held_message, rule_label

bp = Blueprint("discussions", __name__, url_prefix="/discussions")


def _me():
    return current_user._get_current_object()


@bp.get("/")
def index():
    slug = request.args.get("category") or None
    category = get_category(slug) if slug else None
    page = requested_page()
    return render_template(
        "discussions/index.html",
        categories=list_categories(),
        category=category,
        results=discussions.list_discussions(category=category, page=page),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def start():
    categories = [c for c in list_categories() if can(current_user, "discussion.start", c)]
    slug = request.values.get("category", "")
    category = next((c for c in categories if c.slug == slug), None)
    form = forms.StartDiscussionForm()
    if request.method == "POST" and category is None:
        form.validate()
        form.form_errors.append(_("Choose a category."))
    elif form.validate_on_submit():
        with errors_on(form) as attempt:
            discussion = discussions.start_discussion(_me(), category, title=form.title.data, body=form.body.data)
        if attempt.succeeded:
            return redirect(url_for("discussions.show", discussion_id=discussion.id))
    return render_form("discussions/start.html", form, categories=categories, category=category)


def _render_thread(
    discussion,
    thread,
    *,
    form=None,
    reply_form=None,
    reply_to=None,
    status=200,
    template="discussions/show.html",
    back=None,
    comments_html=None,
    **extra,
):
    """back: the address of this page, where a vote or a reply on it returns (at the comment);
    by default the discussion at the thread's sort and page. comments_html: the page's comments
    already rendered for this reader (shared_threads), in place of rendering `thread`'s."""
    viewer = _me()
    back = back or _back_to(discussion, thread.sort, thread.page)
    following, held_count = discussions.reader_state(viewer, discussion)
    context = dict(
        discussion=discussion,
        thread=thread,
        # No form (and so no CSRF token) for someone who cannot comment: the page stays cacheable.
        form=form or (forms.CommentForm(formdata=None) if can(viewer, "comment.create", discussion) else None),
        reply_form=reply_form,
        reply_to=reply_to,
        comments_html=comments_html,
        following=following,
        my_held=comments.held_comments_of(viewer, discussion) if held_count else [],
        held_rule_label=rule_label,
        stances=comments.stance_counts(discussion),
        about=context_of(discussion),
        **extra,
    )
    if comments_html is None:
        context["comment_page"] = CommentPage(
            discussion.id,
            discussion,
            viewer=viewer,
            my_votes=votes.votes_of(viewer, [c.id for c in thread.all_comments()]),
            back=back,
        )
    if request.args.get("partial") and template == "discussions/show.html":
        page = render_template("discussions/_comment_page.html", **context)
        return page, status, {"X-Has-More": "1" if thread.has_more else "0"}
    return render_template(template, **context), status


def _back_to(discussion, sort, page):
    return url_for("discussions.show", discussion_id=discussion.id, sort=sort, page=page if page > 1 else None)


@bp.get("/<int:discussion_id>")
def show(discussion_id):
    discussion, hidden = discussions.discussion_for_page(discussion_id, current_user)
    if hidden:
        return render_template("hidden_by_moderation.html", reason=discussion.hidden_reason)
    sort, page = threads.parse_sort(request.args.get("sort")), requested_page()
    if not request.args.get("partial"):
        # A signed-in reader gets the comments that readers with the same roles share, with their
        # own votes and comments filled in (shared_threads); None when nothing is shared.
        back = _back_to(discussion, sort, page)
        shared = shared_thread(discussion, _me(), sort=sort, page=page, back=back)
        if shared is not None:
            thread, comments_html = shared
            return _render_thread(discussion, thread, back=back, comments_html=comments_html)
    thread = threads.thread_page(discussion, sort=sort, page=page)
    return _render_thread(discussion, thread)


@bp.post("/<int:discussion_id>/comments")
@login_required
def post_comment(discussion_id):
    discussion = discussions.get_discussion(discussion_id, current_user)
    is_reply = "reply-body" in request.form
    form = forms.CommentForm(prefix="reply" if is_reply else "")
    if not form.validate_on_submit():
        return _respond_with_form(discussion, form, is_reply, status=422)
    with errors_on(form) as attempt:
        comment = comments.post_comment(
            _me(), discussion, body=form.body.data, stance=form.stance.data, parent_id=form.parent_id.data or None
        )
    if not attempt.succeeded:  # refused input 422, a closed discussion 409, posting too quickly 429
        return _respond_with_form(discussion, form, is_reply, status=attempt.status)
    if comment.is_held:
        flash(held_message(comment.held_rule), "warning")
        return redirect(url_for("discussions.show", discussion_id=discussion.id, _anchor="held-comments"))
    flash(_("Your comment is published."), "success")
    if comment.parent_id:
        # Back to the page the reader replied from, at the comment they answered (issue 12);
        # without one, the reply on its own page.
        back = local_target(form.next.data)
        if back:
            return redirect_back(f"{back.split('#')[0]}#comment-{comment.parent_id}", _comment_url(discussion, comment))
        return redirect(_comment_url(discussion, comment))
    return redirect(
        url_for("discussions.show", discussion_id=discussion.id, sort="newest", _anchor=f"comment-{comment.id}")
    )


def _respond_with_form(discussion, form, is_reply, *, status):
    """Show the thread again with the refused comment's text kept in its form."""
    if is_reply:
        try:
            parent = comments.get_comment(discussion, row_id(form.parent_id.data))
        except (TypeError, ValueError, NotFound):
            parent = None
        if parent is not None:
            return _permalink_page(discussion, parent, reply_form=form, status=status)
        form.form_errors.append(_("The comment you are replying to is not in this discussion."))
        plain = forms.CommentForm(formdata=None, body=form.body.data, stance=form.stance.data)
        plain.form_errors = form.form_errors
        form = plain
    thread = threads.thread_page(discussion, sort=request.args.get("sort"))
    return _render_thread(discussion, thread, form=form, status=status)


@bp.get("/<int:discussion_id>/comments/<int:comment_id>")
def permalink(discussion_id, comment_id):
    """A comment in its thread; the page scrolls to it and highlights it (#comment-N).
    With ?reply_to=N it also shows the form to reply to it."""
    discussion = discussions.get_discussion(discussion_id, current_user)
    comment = comments.get_comment(discussion, comment_id)
    if comment.is_held and not can(current_user, "comment.view_held", comment):
        raise NotFound(_("There is no such comment in this discussion."))
    reply_form = None
    if request.args.get("reply_to", type=int) == comment.id and can(current_user, "comment.create", discussion):
        back = local_target(request.args.get("next")) or ""
        reply_form = forms.CommentForm(formdata=None, prefix="reply", parent_id=comment.id, next=back)
    return _permalink_page(discussion, comment, reply_form=reply_form, from_here=request.args.get("from_here") == "1")


def _permalink_page(discussion, comment, *, reply_form=None, status=200, from_here=False):
    """from_here: start the shown thread at this comment ("continue this thread"); otherwise
    show it with up to three levels above it for context."""
    chain = threads.ancestors_of(comment)
    anchor_depth = comment.depth if from_here else max(0, comment.depth - threads.MAX_VISIBLE_DEPTH + 1)
    anchor = comment if comment.depth == anchor_depth else chain[anchor_depth]
    thread = threads.sub_thread(discussion, anchor)
    return _render_thread(
        discussion,
        thread,
        template="discussions/thread.html",
        target=comment,
        context_chain=chain[:anchor_depth],
        reply_form=reply_form,
        reply_to=comment.id if reply_form is not None else None,
        status=status,
        back=url_for(
            "discussions.permalink",
            discussion_id=discussion.id,
            comment_id=comment.id,
            from_here=1 if from_here else None,
        ),
    )


def _own_comment_action(discussion_id, comment_id, action):
    discussion = discussions.get_discussion(discussion_id, current_user)
    comment = comments.get_comment(discussion, comment_id)
    ensure_can(current_user, action, comment)
    return discussion, comment


@bp.route("/<int:discussion_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(discussion_id, comment_id):
    discussion, comment = _own_comment_action(discussion_id, comment_id, "comment.edit")
    form = forms.EditCommentForm(
        data={"body": comment.body_markdown, "stance": comment.stance or ""} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        with errors_on(form) as attempt:
            comments.edit_comment(_me(), comment, body=form.body.data, stance=form.stance.data)
        if attempt.succeeded and comment.is_held:
            flash(held_message(comment.held_rule), "warning")
            return redirect(url_for("discussions.show", discussion_id=discussion.id, _anchor="held-comments"))
        if attempt.succeeded:
            flash(_("Your comment is updated."), "success")
            return redirect(_comment_url(discussion, comment))
    return render_form("discussions/edit_comment.html", form, discussion=discussion, comment=comment)


@bp.route("/<int:discussion_id>/comments/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_comment(discussion_id, comment_id):
    discussion, comment = _own_comment_action(discussion_id, comment_id, "comment.delete")
    form = FlaskForm()
    if form.validate_on_submit():
        comments.delete_comment(_me(), comment)
        flash(_("Your comment is deleted. Replies to it stay in place."), "success")
        return redirect(_comment_url(discussion, comment))
    return render_template("discussions/delete_comment.html", form=form, discussion=discussion, comment=comment)


@bp.get("/<int:discussion_id>/comments/<int:comment_id>/history")
@login_required
def comment_history(discussion_id, comment_id):
    discussion, comment = _own_comment_action(discussion_id, comment_id, "comment.view_history")
    return render_template(
        "discussions/history.html",
        discussion=discussion,
        comment=comment,
        revisions=comments.comment_history(_me(), comment),
    )


def _comment_url(discussion, comment):
    """The comment on its own page, scrolled to it."""
    return url_for(
        "discussions.permalink", discussion_id=discussion.id, comment_id=comment.id, _anchor=f"comment-{comment.id}"
    )


def _back(discussion, comment=None):
    fallback = (
        _comment_url(discussion, comment)
        if comment is not None
        else url_for("discussions.show", discussion_id=discussion.id)
    )
    return redirect_back(request.form.get("next"), fallback)


@bp.post("/<int:discussion_id>/comments/<int:comment_id>/vote")
@login_required
def vote(discussion_id, comment_id):
    discussion = discussions.get_discussion(discussion_id, current_user)
    comment = comments.get_comment(discussion, comment_id)
    votes.vote_on_comment(_me(), comment, request.form.get("value"))
    return _back(discussion, comment)


@bp.post("/<int:discussion_id>/comments/<int:comment_id>/pin")
@login_required
def pin(discussion_id, comment_id):
    discussion = discussions.get_discussion(discussion_id, current_user)
    comment = comments.get_comment(discussion, comment_id)
    pinned = request.form.get("pinned") == "1"
    comments.pin_comment(_me(), comment, pinned)
    flash(_("The comment is pinned to the top.") if pinned else _("The comment is no longer pinned."), "success")
    return _back(discussion)


@bp.post("/<int:discussion_id>/follow")
@login_required
def follow(discussion_id):
    discussion = discussions.get_discussion(discussion_id, current_user)
    if request.form.get("follow") == "0":
        discussions.unfollow_discussion(_me(), discussion)
        flash(_("You no longer follow this discussion."), "success")
    else:
        discussions.follow_discussion(_me(), discussion)
        flash(_("You follow this discussion: new comments appear in your notifications."), "success")
    return _back(discussion)


@bp.route("/<int:discussion_id>/lock", methods=["GET", "POST"])
@login_required
def lock(discussion_id):
    discussion = discussions.get_discussion(discussion_id, current_user)
    ensure_can(current_user, "discussion.lock", discussion)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        change = discussions.unlock_discussion if discussion.is_locked else discussions.lock_discussion
        with errors_on(form) as attempt:
            change(_me(), discussion, form.reason.data)
        if attempt.succeeded:
            flash(
                _("The discussion is locked.") if discussion.is_locked else _("The discussion is open again."),
                "success",
            )
            return redirect(url_for("discussions.show", discussion_id=discussion.id))
    return render_form("discussions/lock.html", form, discussion=discussion)
