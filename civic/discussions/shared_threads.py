"""A discussion page's comments shared by every signed-in reader with the same roles, with each
reader's own votes and comments filled in: a crowd reading a busy discussion signed in costs a few
small queries per page instead of loading and rendering a hundred comments each time (issue 10).

The shared part is rendered once (per process, language, discussion, sort, page and set of roles)
for a stand-in reader who has those roles, wrote none of the comments and voted on none. What
differs from one reader to the next is only on the cards of comments they wrote (edit and delete;
no vote buttons) or voted on (the pressed button): those cards are rendered for the reader and put
in place of the shared ones, then the reader's CSRF token fills the slots (presenting.CommentPage).
The part is kept with civic.common.caching.shared_part: under the discussion's page-cache
generation, for CIVIC_PAGE_CACHE_SECONDS, and only when the page cache is on."""

import re
from dataclasses import dataclass

from flask import get_template_attribute, render_template
from markupsafe import Markup
from sqlalchemy import select

from civic.common.caching import shared_part
from civic.discussions.models import Comment
from civic.discussions.presenting import CARD_MARK, CommentPage
from civic.discussions.services import threads, votes
from civic.extensions import db
from civic.permissions import effective_roles

_CARDS = re.compile(rf"<!--{CARD_MARK}:(\d+)-->(.*?)<!--/{CARD_MARK}-->", re.DOTALL)


class _SharedReader:
    """Stands for every signed-in reader with these roles: the author of no comment (ids start at 1)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    two_factor_enabled = True  # the roles given are already the effective ones
    id = 0

    def __init__(self, role_names):
        self.role_names = role_names


@dataclass(frozen=True)
class SharedThread:
    """What the page shows of a shared part: its cards' HTML and what the page asks of the thread."""

    parts: tuple  # the HTML between cards, and (comment id, card) for each card, in page order
    authors: tuple  # (comment id, author id) of every card
    sort: str
    page: int
    has_more: bool

    @property
    def roots(self):  # show.html asks whether there is any comment
        return bool(self.authors)


def shared_thread(discussion, viewer, *, sort, page, back):
    """The page's comments as this signed-in viewer sees them, or None when nothing is shared
    (the page cache is off, Redis is down): the caller then renders the thread itself."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    sort = threads.parse_sort(sort)
    role_names = tuple(sorted(role.value for role in effective_roles(viewer)))
    name = f"shared-thread:{discussion.id}:{sort}:{page}:{','.join(role_names)}"

    def build():
        thread = threads.thread_page(discussion, sort=sort, page=page)
        comment_page = CommentPage(discussion.id, discussion, viewer=_SharedReader(role_names), back=back, shared=True)
        html = render_template(
            "discussions/_comment_page.html",
            thread=thread,
            comment_page=comment_page,
            reply_to=None,
            reply_form=None,
            target=None,
        )
        pieces = _CARDS.split(html)  # text, id, card, text, id, card, ..., text
        parts = [pieces[0]]
        for at in range(1, len(pieces), 3):
            parts += [(int(pieces[at]), pieces[at + 1]), pieces[at + 2]]
        authors = tuple((c.id, c.author_id) for c in thread.all_comments())
        return SharedThread(tuple(parts), authors, thread.sort, thread.page, thread.has_more)

    shared = shared_part(name, [("discussion", discussion.id)], build)
    if shared is None:
        return None
    return shared, _personal_html(shared, discussion, viewer, back)


# The vote buttons of a card as the stand-in reader (who voted on nothing) sees them, and as a reader
# who voted sees them: the same card but for the pressed button, which casting the same vote again
# would withdraw (value 0). Swapped in place instead of rendering the card again; a card where the
# buttons are not found exactly once is rendered for the reader (the page stays right if the
# template changes).
_UNPRESSED = {
    1: 'name="value" value="1" class="vote-button" aria-pressed="false"',
    -1: 'name="value" value="-1" class="vote-button" aria-pressed="false"',
}
_PRESSED = {
    1: 'name="value" value="0" class="vote-button" aria-pressed="true"',
    -1: 'name="value" value="0" class="vote-button" aria-pressed="true"',
}


_COUNTS = re.compile(r'(<span class="vote-count" data-(?:up|down)>)(\d+)(</span>)')


def _voted_card(card, vote, up, down):
    """The shared card with the reader's vote pressed and the counts as they are now (the shared
    part may be older than the reader's vote), or None when it cannot be done in place."""
    unpressed = _UNPRESSED.get(vote)
    if unpressed is None or card.count(unpressed) != 1:
        return None
    counts = iter((up, down))
    card, found = _COUNTS.subn(lambda m: f"{m.group(1)}{next(counts, m.group(2))}{m.group(3)}", card)
    if found != 2:
        return None
    return card.replace(unpressed, _PRESSED[vote])


def _personal_html(shared, discussion, viewer, back):
    """The shared cards, with the reader's votes pressed, and those of their own comments rendered
    for them."""
    ids = [cid for cid, _author in shared.authors]
    voted = votes.votes_with_counts_of(viewer, ids)
    my_votes = {cid: vote for cid, (vote, _up, _down) in voted.items()}
    cards = {}
    to_render = {cid for cid, author in shared.authors if author == viewer.id}
    if my_votes:
        shared_cards = {part[0]: part[1] for part in shared.parts if not isinstance(part, str)}
        for cid, (vote, up, down) in voted.items():
            if cid in to_render or cid not in shared_cards:
                continue
            card = _voted_card(shared_cards[cid], vote, up, down)
            if card is None:
                to_render.add(cid)
            else:
                cards[cid] = card
    comment_page = CommentPage(discussion.id, discussion, viewer=viewer, my_votes=my_votes, back=back)
    if to_render:
        card = get_template_attribute("discussions/_comment.html", "comment_card")
        query = select(Comment).where(Comment.id.in_(to_render)).options(*threads.CARD_LOADING)
        for comment in db.session.scalars(query):
            cards[comment.id] = str(comment_page.card(comment, comment_page.show(comment), card))
    html = "".join(part if isinstance(part, str) else cards.get(part[0], part[1]) for part in shared.parts)
    return Markup(comment_page.fill_slots(html))
