"""Reading forms out of rendered pages, as a browser would."""

import html
import re

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page):
    """The hidden inputs of a page, by name (the last one wins), with HTML entities decoded."""
    return {html.unescape(name): html.unescape(value) for name, value in HIDDEN.findall(page)}
