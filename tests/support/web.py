"""A test client that fills in the CSRF token the way a browser form does."""

import re

from tests.support.users import DEFAULT_PASSWORD


class Web:
    CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def csrf_token(self, url=None):
        """The session's token, from `url` or else from a page that holds a form for everyone
        (anonymous list and home pages hold none: they are cacheable, see civic/common/caching.py)."""
        for page_url in (url or "/", "/sign-in"):
            page = self.client.get(page_url).get_data(as_text=True)
            match = self.CSRF.search(page)
            if match:
                return match.group(1)
        raise AssertionError(f"no CSRF token on {url or '/'} nor /sign-in")

    def post(self, url, data=None, *, form_url=None, **kwargs):
        """POST as a browser's form does: with the page's CSRF token and this site's Origin."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(form_url))
        kwargs["headers"] = {"Origin": "http://localhost", **(kwargs.get("headers") or {})}
        return self.client.post(url, data=data, **kwargs)

    def sign_in(self, email, password=DEFAULT_PASSWORD, **extra):
        return self.post("/sign-in", {"email": email, "password": password, **extra})
