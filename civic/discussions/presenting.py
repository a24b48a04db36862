"""How a page shows its comments: the reader's abilities, URLs, labels and dates worked out once per
page (not once per comment), and each comment's card kept once rendered, for
templates/discussions/_comment.html."""

import secrets
from urllib.parse import quote

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from civic.common.i18n import MomentFormat
from civic.common.templating import keep
from civic.discussions.models import STANCE_LABELS
from civic.permissions import Abilities

# An id that no comment or user has: each URL is built once with it, then it is replaced by ids.
_PLACEHOLDER = "9876543210"
# Kept cards carry these in place of the reader's CSRF token and of the page's own address (where a
# vote or a reply returns); they are replaced on the way out. Random per process, so that no
# comment can be written to contain them.
_CSRF_SLOT = f"csrf-{secrets.token_hex(16)}"
_BACK_SLOT = f"back-{secrets.token_hex(16)}"
_BACK_QUERY_SLOT = f"backq-{secrets.token_hex(16)}"
# Around each card of a shared page part, so that a reader's own cards can replace those.
CARD_MARK = f"card-{secrets.token_hex(16)}"

# The words repeated on every comment, translated once per page (Markup, as the template's _() gives).
LABELS = {
    "deleted": _l("[deleted]"),
    "former_member": _l("Former member"),
    "pinned": _l("Pinned"),
    "link_to_comment": _l("(link to this comment)"),
    "edited": _l("edited"),
    # Followed by the comment's hidden_reason: a standard reason's label (civic.moderation).
    "hidden": _l("Hidden by moderation:"),
    "held": _l("Waiting for a moderator's review."),
    "votes": _l("Votes"),
    "agree_button": _l("Agree"),
    "disagree_button": _l("Disagree"),
    "agree": _l("agree"),
    "disagree": _l("disagree"),
    "reply": _l("Reply"),
    "to_this_comment": _l("to this comment"),
    "edit": _l("Edit"),
    "delete": _l("Delete"),
    "hide": _l("Hide"),
    "report": _l("Report"),
    "this_comment": _l("this comment"),
    "unpin": _l("Unpin"),
    "pin": _l("Pin to top"),
    "earlier_versions": _l("Earlier versions"),
}


class _UrlPattern:
    """One endpoint's URL for any id, built with url_for once: f(id) -> URL."""

    def __init__(self, endpoint, key, **values):
        head, found, tail = url_for(endpoint, **{key: _PLACEHOLDER}, **values).partition(_PLACEHOLDER)
        if not found:
            raise ValueError(f"{endpoint} does not put {key} in its URL")
        self.head, self.tail = head, tail

    def __call__(self, value):
        return f"{self.head}{value}{self.tail}"


class _Moments:
    """civic.common.i18n.format_moment for the comments of one page, each value formatted once."""

    def __init__(self):
        self.format = MomentFormat(get_locale())
        self.done = {}

    def __call__(self, value):
        text = self.done.get(value)
        if text is None:
            text = self.done[value] = self.format(value)
        return text


class ShownComment:
    """What the template shows for one comment beyond its own columns."""

    __slots__ = (
        "at",
        "author_url",
        "created",
        "created_iso",
        "delete_url",
        "edit_url",
        "hide_url",
        "history_url",
        "may_edit",
        "may_hide",
        "may_pin",
        "may_reply",
        "may_report",
        "may_vote",
        "may_view_history",
        "my_vote",
        "perma",
        "pin_url",
        "report_url",
        "stance",
        "vote_url",
    )


class CommentPage:
    """The comments of one page as one reader sees them.

    `viewer` None is the generic reader of a comment pushed live: every control is rendered, marked
    with data-needs, and the page's script removes those the reader may not use. Otherwise each
    control is the answer of can() for the viewer (civic.permissions.Abilities: roles worked out
    once per page; the rules themselves are asked per comment)."""

    def __init__(self, discussion_id, discussion=None, *, viewer=None, my_votes=None, back="", shared=False):
        self.generic = viewer is None
        # shared: the cards are for a page part that readers of the same kind share
        # (civic.discussions.shared_threads): each is marked, and its slots are left in.
        self.shared = shared
        self.my_votes = my_votes or {}
        self.can = None if self.generic else Abilities(viewer)
        self.may_reply = self.generic or self.can("comment.create", discussion)
        # Only someone signed in has a control to post with; a token on an anonymous page would stop
        # caches from sharing it (civic.common.caching).
        signed_in = not self.generic and getattr(viewer, "is_authenticated", False)
        self._csrf_token = generate_csrf() if signed_in else ""
        self.csrf = _CSRF_SLOT if signed_in else ""
        # The page's address, for a vote's or a reply's way back (generic pages: none, a vote
        # returns to the comment's own page).
        self.back = _BACK_SLOT if back else ""
        self.back_query = _BACK_QUERY_SLOT if back else ""
        self._slots = [(_CSRF_SLOT, self._csrf_token)] if signed_in else []
        if back:
            self._slots += [(_BACK_SLOT, str(escape(back))), (_BACK_QUERY_SLOT, str(escape(quote(back, safe=""))))]
        self.labels = {key: Markup(str(label)) for key, label in LABELS.items()}
        self._key = (str(get_locale()), self.generic)
        self._limit = current_app.config["CIVIC_COMMENT_CARDS_KEPT"]
        self._kept = current_app.extensions.setdefault("civic_comment_cards", {})
        self.stances = {key: str(label) for key, label in STANCE_LABELS.items()}
        self._date = _Moments()
        self._shown_counts = {}
        ids = {"discussion_id": discussion_id}
        self._perma = _UrlPattern("discussions.permalink", "comment_id", **ids)
        self._vote = _UrlPattern("discussions.vote", "comment_id", **ids)
        self._edit = _UrlPattern("discussions.edit_comment", "comment_id", **ids)
        self._delete = _UrlPattern("discussions.delete_comment", "comment_id", **ids)
        self._hide = _UrlPattern("moderation.hide_content", "content_id", kind="comment")
        self._pin = _UrlPattern("discussions.pin", "comment_id", **ids)
        self._history = _UrlPattern("discussions.comment_history", "comment_id", **ids)
        self._profile = _UrlPattern("accounts.public_profile", "user_id")
        self._report = _UrlPattern("moderation.report_comment", "comment_id")

    def show(self, c):
        """What decides how the comment looks to this reader; the rest is filled in by card() when
        the card has to be rendered."""
        shown = ShownComment()
        cid = c.id
        shown.perma = perma = self._perma(cid)
        shown.at = f"{perma}#comment-{cid}"
        shown.my_vote = self.my_votes.get(cid, 0)
        shown.may_reply = self.may_reply
        if self.generic:
            shown.may_vote = shown.may_edit = shown.may_hide = shown.may_pin = shown.may_report = True
            shown.may_view_history = False
        else:
            can = self.can
            shown.may_vote = can("comment.vote", c)
            shown.may_edit = can("comment.edit", c)
            shown.may_hide = can("comment.hide", c)
            shown.may_pin = can("comment.pin", c)
            shown.may_view_history = can("comment.view_history", c)
            # By roles only (comment.report): the same for every reader of a shared card.
            shown.may_report = can("comment.report", c)
        return shown

    def card(self, c, shown, render):
        """The comment's card (render: the template's comment_card macro), from the app's kept cards
        when the same comment was already shown to a reader with the same controls.

        The key holds everything the card shows, the comment's text and counts themselves
        included, so an edit, a vote or a moderator's decision makes a new key: a kept card is
        never out of date, and nothing has to be told to forget one. The cards are per app (each
        has its own database) and per process; when they reach CIVIC_COMMENT_CARDS_KEPT they are
        all dropped and kept again as pages are shown."""
        author = c.author
        key = (
            self._key,
            c.id,
            c.body_html,
            c.stance,
            c.created_at,
            c.edited_at,
            c.deleted_at,
            c.hidden_at,
            c.hidden_reason,
            c.held_at,
            c.pinned_at,
            c.depth,
            c.upvotes,
            c.downvotes,
            c.author_id,
            author.display_name if author is not None else None,
            shown.my_vote,
            shown.may_vote,
            shown.may_reply,
            shown.may_edit,
            shown.may_hide,
            shown.may_pin,
            shown.may_view_history,
            shown.may_report,
        )

        def render_card():
            self._fill(c, shown)
            return str(render(c, self, shown))

        html = keep(self._kept, key, render_card, self._limit)
        if self.shared:
            return Markup(f"<!--{CARD_MARK}:{c.id}-->{html}<!--/{CARD_MARK}-->")
        return Markup(self.fill_slots(html))

    def fill_slots(self, html):
        """The reader's CSRF token and the page's address, in place of the slots kept cards carry."""
        for slot, value in self._slots:
            html = html.replace(slot, value)
        return html

    def _fill(self, c, shown):
        cid = c.id
        shown.author_url = self._profile(c.author_id) if c.author_id is not None else ""
        shown.created = self._date(c.created_at) if c.created_at else ""
        shown.created_iso = c.created_at.isoformat()
        shown.stance = self.stances.get(c.stance, c.stance)
        shown.vote_url = self._vote(cid)
        shown.edit_url = self._edit(cid)
        shown.delete_url = self._delete(cid)
        shown.hide_url = self._hide(cid)
        shown.pin_url = self._pin(cid)
        shown.report_url = self._report(cid)
        shown.history_url = self._history(cid)

    def _shown_under(self, thread, comment):
        """Replies shown under a comment on this page, at any depth (counted once per comment)."""
        count = self._shown_counts.get(comment.id)
        if count is None:
            count = sum(1 + self._shown_under(thread, reply) for reply in thread.replies(comment))
            self._shown_counts[comment.id] = count
        return count

    def unshown_replies(self, thread, comment):
        """Replies not loaded under this comment, less those that a shown reply already offers, so
        that each missing reply is offered once, by its nearest shown ancestor (not by every one)."""
        if thread is None:
            return 0
        more = comment.reply_count - self._shown_under(thread, comment)
        for reply in thread.replies(comment):
            more -= reply.reply_count - self._shown_under(thread, reply)
        return more
