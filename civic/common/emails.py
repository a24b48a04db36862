"""One key per mailbox, for "one per person" rules (one anonymous response, one signature).

Addresses are compared case-insensitively; for providers that deliver `name+tag@` to `name@`,
the tag is dropped, and for Gmail, which ignores dots in the local part, the dots are too.
The key is still a deliverable address for the same mailbox."""

# Providers that deliver name+anything@ to name@ (sub-addressing).
PLUS_TAG_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "fastmail.com",
        "fastmail.fm",
        "yandex.ru",
        "yandex.com",
        "gmx.de",
        "gmx.net",
        "zoho.com",
    }
)
# Providers that ignore dots in the local part, and their canonical domain.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(address):
    """'  Jane.Doe+news@GoogleMail.com ' -> 'janedoe@gmail.com'. Expects an address already validated."""
    address = (address or "").strip().lower()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address
    domain = domain.rstrip(".")
    if domain in PLUS_TAG_DOMAINS and "+" in local:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
