"""A test client that fills in the CSRF token the way a browser form does."""

import re

from tests.support.users import DEFAULT_PASSWORD


class Web:
    CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def csrf_token(self, url="/"):
        page = self.client.get(url).get_data(as_text=True)
        match = self.CSRF.search(page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url, data=None, *, form_url=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(form_url or "/"))
        return self.client.post(url, data=data, **kwargs)

    def sign_in(self, email, password=DEFAULT_PASSWORD, **extra):
        return self.post("/sign-in", {"email": email, "password": password, **extra})
