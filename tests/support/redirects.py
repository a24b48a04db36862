"""Open-redirect bypass forms (from the OWASP and PortSwigger lists) and a browser's reading of a
Location header, to tell whether a redirect stays on this site."""

from urllib.parse import unquote, urljoin, urlsplit

EVIL = "evil.example"
BYPASS_TARGETS = [
    f"//{EVIL}",
    f"///{EVIL}",
    f"////{EVIL}/",
    f"/\\{EVIL}",
    f"\\/{EVIL}",
    f"\\\\{EVIL}",
    f"/\\/{EVIL}",
    f"/%09/{EVIL}",
    f"/\t/{EVIL}",
    f"/\n/{EVIL}",
    f"/\r\n/{EVIL}",
    f"/%0d%0a/{EVIL}",
    f"/%0a/{EVIL}",
    f"/%2F/{EVIL}",
    f"/%2f%2f{EVIL}",
    f"%2F%2F{EVIL}",
    f"/%5C{EVIL}",
    f"/%5c/{EVIL}",
    f"/%252F/{EVIL}",
    f"/%25252F%25252F{EVIL}",
    f" //{EVIL}",
    f"\t//{EVIL}",
    f"\x00//{EVIL}",
    f"//{EVIL}\x00",
    f"https://{EVIL}",
    f"https:{EVIL}",
    f"https:/{EVIL}",
    f"http:\\\\{EVIL}",
    f"HTTPS://{EVIL}",
    f"//{EVIL}/%2F..",
    f"@{EVIL}",
    f"{EVIL}",
    f"/\uff0f{EVIL}",  # fullwidth solidus: NFKC folds it into '/'
    f"/%EF%BC%8F{EVIL}",
    f"\uff0f\uff0f{EVIL}",
    f"/\u200b/{EVIL}",  # a zero-width space between the slashes
    f"/\u2028/{EVIL}",
    f"/.//{EVIL}",  # resolves to the path //evil.example, which a server may bounce as Location: //...
    f"/a/..//{EVIL}",
    f"/%2e//{EVIL}",
    f"/\uff0e//{EVIL}",  # a fullwidth full stop: NFKC folds it into '.'
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    f"/?next=x\r\nLocation: https://{EVIL}",
    "/" + "a" * 3000,
]
# Targets that are ordinary paths of this site and must be followed.
LOCAL_TARGETS = [
    "/",
    "/petitions/",
    "/petitions/?show=open&page=2",
    "/discussions/3#comment-4",
    "/discussions/3/comments/4?sort=best#comment-4",
    "/sign-in?next=%2Faccount",
    "/search?q=100%25",
    "/@someone",
    "/a:b",
    "/account",
]


def lands_on_this_site(location, here="http://localhost/some/page"):
    """Would a browser that follows `location` (and a server that decodes it, up to three times)
    stay on `here`'s origin? Browsers drop tabs and newlines, trim C0 controls and spaces, and read
    backslashes as slashes."""
    if location is None:
        return True
    origin = urlsplit(here)[:2]
    reading = location
    for _ in range(4):
        cleaned = "".join(c for c in reading if c not in "\t\n\r").strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08 ")
        cleaned = cleaned.replace("\\", "/")
        if urlsplit(urljoin(here, cleaned))[:2] != origin:
            return False
        reading = unquote(reading)
    return True
