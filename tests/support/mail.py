"""Reading what the app sent: messages to an address, and the links in them."""

import re
from urllib.parse import urlsplit


def mail_to(outbox, address):
    """Messages sent to an address, oldest first."""
    found = [m for _id, m in outbox.messages() if address.lower() in m["To"].lower()]
    return list(reversed(found))


def link_in(message, path_fragment):
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S*" + re.escape(path_fragment) + r"\S*", body)
    assert match, f"no link containing {path_fragment!r} in:\n{body}"
    return match.group(0)


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
