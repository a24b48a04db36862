"""A draft text put up for comment, as pure functions: splitting its Markdown into commentable
blocks, fingerprinting them, rendering one block, the heading levels a page shows, and reading an
uploaded text file. No Flask, no database: the service keeps the rows and words the messages."""

import hashlib
import re
from dataclasses import dataclass
from typing import NamedTuple

from markdown_it import MarkdownIt

from civic.common.markdown import render_document_markdown, render_inline_markdown

KINDS = ("heading", "paragraph", "list", "quote", "table", "code")
UPLOAD_EXTENSIONS = ("md", "markdown", "txt")

# The blocks the site's Markdown subset knows (see civic.common.markdown), plus headings and
# tables, which a draft text needs. Raw HTML is not a block of its own: it stays a paragraph and
# the renderer escapes it. A thematic break (---) separates blocks and is not one itself.
_parser = MarkdownIt("zero").enable(
    ["heading", "lheading", "paragraph", "list", "blockquote", "fence", "code", "table", "hr"]
)

_KIND_OF_TOKEN = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "quote",
    "table_open": "table",
    "fence": "code",
    "code_block": "code",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, newline, form feed and carriage return are text


class Block(NamedTuple):
    """One top-level block: its kind, its heading level (0 if not a heading), its exact source
    lines, and the fingerprint that recognises it again when the text is replaced."""

    kind: str
    level: int
    markdown: str
    fingerprint: str


def normalise_newlines(text):
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def fingerprint(markdown):
    """sha256 of the text with its whitespace normalised: re-wrapping a paragraph or changing
    its indentation does not make it a new paragraph."""
    return hashlib.sha256(" ".join(markdown.split()).encode("utf-8")).hexdigest()


def split_blocks(text):
    """The top-level blocks of a Markdown text, in order, each with its own source lines.
    A list keeps its nested lists and paragraphs; a quote keeps everything quoted."""
    text = normalise_newlines(text)
    lines = text.split("\n")
    blocks = []
    for token in _parser.parse(text):
        kind = _KIND_OF_TOKEN.get(token.type)
        if token.level != 0 or kind is None or token.map is None:
            continue
        start, end = token.map
        source = "\n".join(lines[start:end]).rstrip()
        if not source.strip():
            continue
        level = int(token.tag[1]) if kind == "heading" else 0
        blocks.append(Block(kind, level, source, fingerprint(source)))
    return blocks


def heading_text(markdown):
    """The inline Markdown of a heading block (# Scope -> Scope; Scope\\n===== -> Scope)."""
    for token in _parser.parse(normalise_newlines(markdown)):
        if token.type == "inline":
            return token.content
    return markdown.strip()


def render_block(kind, markdown):
    """Safe HTML of one block. A heading gives only its inline content: the page wraps it in the
    heading element its place in the page calls for (see page_heading_levels)."""
    if kind == "heading":
        return render_inline_markdown(heading_text(markdown))
    return render_document_markdown(markdown)


def page_heading_levels(levels, top=2):
    """The heading levels to show a draft's headings at, under a page's own headings.

    The draft's highest heading becomes `top` (the page has its h1 already); no level is
    skipped on the way down (# then ### shows as h2 then h3), and nothing goes below h6."""
    if not levels:
        return []
    shallowest = min(levels)
    shown, previous = [], top - 1
    for level in levels:
        wanted = top + level - shallowest
        current = max(top, min(wanted, previous + 1, 6))
        shown.append(current)
        previous = current
    return shown


@dataclass(frozen=True)
class DecodedUpload:
    """The text of an uploaded file, or the reason it was refused: one of wrong_type, empty,
    too_large, binary, not_utf8."""

    text: str = ""
    problem: str | None = None


def decode_upload(filename, data, max_bytes):
    """Read an uploaded .md/.markdown/.txt file as UTF-8 text (a byte-order mark is dropped).
    A file with NUL bytes or other control characters is binary, whatever its name says."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension not in UPLOAD_EXTENSIONS:
        return DecodedUpload(problem="wrong_type")
    if not data.strip():
        return DecodedUpload(problem="empty")
    if len(data) > max_bytes:
        return DecodedUpload(problem="too_large")
    if b"\x00" in data:
        return DecodedUpload(problem="binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return DecodedUpload(problem="not_utf8")
    if _CONTROL.search(text):
        return DecodedUpload(problem="binary")
    return DecodedUpload(text=normalise_newlines(text))
