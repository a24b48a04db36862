"""The small Markdown subset users may write, rendered to safe HTML; @mentions become profile links.

Emphasis, links, lists, quotes and code; the HTML goes through the one sanitiser."""

import html
import re

from markdown_it import MarkdownIt

from civic.common.sanitize import sanitize_html

_md = MarkdownIt("zero", {"linkify": False, "breaks": True, "html": False}).enable(
    [
        "emphasis",
        "link",
        "list",
        "blockquote",
        "backticks",
        "fence",
        "code",
        "newline",
        "escape",
        "strikethrough",
        "autolink",
        "paragraph",
    ]
)

# Texts that officials put up for comment (a consultation's draft text) may also have tables.
_document_md = MarkdownIt("zero", {"linkify": False, "breaks": True, "html": False}).enable(
    [
        "emphasis",
        "link",
        "list",
        "blockquote",
        "backticks",
        "fence",
        "code",
        "newline",
        "escape",
        "strikethrough",
        "autolink",
        "paragraph",
        "table",
    ]
)

MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_]{3,30})\b", re.IGNORECASE)
_TAG = re.compile(r"(<[^>]+>)")
_SKIP_INSIDE = ("a", "code", "pre")


def render_markdown(text):
    """Markdown subset -> safe HTML."""
    return sanitize_html(_md.render(text or ""))


def render_document_markdown(text):
    """The Markdown subset and tables -> safe HTML, for texts officials publish."""
    return sanitize_html(_document_md.render(text or ""), tables=True)


def render_inline_markdown(text):
    """One line of the Markdown subset (emphasis, links, code) -> safe HTML without a paragraph."""
    return sanitize_html(_md.renderInline(text or ""))


def link_mentions(safe_html, resolve):
    """Turn @handle in text (not inside links or code) into links.

    `resolve(handle)` returns (url, label) for a known person, or None to leave the text alone."""
    parts = _TAG.split(safe_html)
    depth = {name: 0 for name in _SKIP_INSIDE}
    for index, part in enumerate(parts):
        if part.startswith("<"):
            match = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if match and match.group(2).lower() in depth:
                depth[match.group(2).lower()] += -1 if match.group(1) else 1
            continue
        if any(depth.values()) or "@" not in part:
            continue

        def replace(match):
            found = resolve(match.group(1).lower())
            if not found:
                return match.group(0)
            url, label = found
            return f'<a class="mention" href="{html.escape(url)}">@{html.escape(label)}</a>'

        parts[index] = MENTION.sub(replace, part)
    return "".join(parts)


def mentioned_handles(text):
    return {handle.lower() for handle in MENTION.findall(text or "")}
