"""The one sanitiser for user-supplied HTML, a strict allow-list built on nh3."""

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h3",
        "h4",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "strong",
        "sub",
        "sup",
        "ul",
    }
)
# Only for texts put up by officials (a consultation's draft text), never for comments.
TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


def sanitize_html(html, *, tables=False):
    """Return HTML that keeps only the allow-listed tags, attributes and URL schemes
    (and tables, when asked)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS | TABLE_TAGS) if tables else set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def plain_text(html):
    """Every tag removed, for previews, search and notifications."""
    return nh3.clean(html or "", tags=set())
