"""What an attached discussion is about: the registry each domain fills at start-up.

This is the interface between discussions and the objects they are attached to (a consultation,
a passage of its draft text, a petition). It imports no domain's services, so that
civic.permissions can ask it who may read a discussion and whether it takes comments."""

from dataclasses import dataclass, field

from civic.common.urls import path_for


@dataclass
class DiscussionContext:
    """What an attached discussion is about, as the domain that owns the object describes it.

    `owner` and `view_action` decide who may read the discussion (civic.permissions asks
    can(user, view_action, owner)); `accepts_comments` says whether it takes comments now, and
    `closed_message` why not. The page shows `summary`, the passage discussed (`excerpt_html`,
    safe HTML) and a link back to the object."""

    summary: str
    link_text: str
    endpoint: str
    values: dict = field(default_factory=dict)
    owner: object = None
    view_action: str | None = None
    excerpt_html: str = ""
    accepts_comments: bool = True
    closed_message: str = ""

    @property
    def url(self):
        return path_for(self.endpoint, **self.values)


# context_type -> function(context_id) returning a DiscussionContext, or None when the object is
# gone; registered by each domain at start-up, so that discussions import no other domain.
CONTEXT_KINDS = {}


def register_context_kind(context_type, resolver):
    CONTEXT_KINDS[context_type] = resolver


def context_of(discussion):
    """What an attached discussion is about, or None for a topic (or a kind nobody registered)."""
    if discussion is None or getattr(discussion, "context_type", None) is None:
        return None
    resolver = CONTEXT_KINDS.get(discussion.context_type)
    return resolver(discussion.context_id) if resolver else None
