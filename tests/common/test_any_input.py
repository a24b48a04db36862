"""Whatever arrives, no route answers 500: every route of the url map and every form the site draws,
called with generated ids, page numbers, control characters, long strings and wrong types, on
SQLite and on PostgreSQL (the one that refuses NUL bytes and numbers beyond its integers)."""

import contextvars
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from civic import create_app
from civic.cli.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo
from civic.extensions import db, limiter
from civic.permissions import Role
from tests.support.apps import base_config, unique_prefix

ADMIN = next(email for _name, email, roles, _bio in DEMO_PEOPLE if Role.ADMIN in roles)
CITIZEN = next(email for _name, email, roles, _bio in DEMO_PEOPLE if roles == [Role.CITIZEN])
# Each route gets this many generated requests per database: the whole module stays within a few
# tens of seconds on both databases.
EXAMPLES_PER_ROUTE = 3

# --- the app: seeded once per database --------------------------------------------------------


@pytest.fixture(scope="module", params=["local", "services"])
def seeded(request, tmp_path_factory):
    """The demo site (people of every role, discussions, consultations, petitions in every state),
    with CSRF and rate limits off so that generated forms reach the views and services."""
    folder = tmp_path_factory.mktemp(f"any-input-{request.param}")
    overrides = {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    if request.param == "local":
        shutil.copy(request.getfixturevalue("sqlite_template"), folder / "civic.sqlite3")
        config = base_config(folder, **overrides)
    else:
        redis_url = request.getfixturevalue("redis_url")
        config = base_config(
            folder,
            SQLALCHEMY_DATABASE_URI=request.getfixturevalue("postgres_migrated"),
            REDIS_URL=redis_url,
            RATELIMIT_STORAGE_URI=redis_url,
            RATELIMIT_STORAGE_OPTIONS={"key_prefix": unique_prefix("LIMITS")},
            **overrides,
        )
    app = create_app(config)
    with app.app_context():
        if request.param == "services":  # rows another module left behind
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
        seed_demo()
        db.session.remove()
    site = Site(app)
    yield site
    with app.app_context():
        if request.param == "services":
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            try:
                limiter.reset()
            except Exception:  # noqa: BLE001
                pass
        db.session.remove()
        db.engine.dispose()


class Site:
    """The app, the forms its pages draw (crawled once) and a request runner."""

    def __init__(self, app):
        self.app = app
        self.rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
        self.forms = {}  # endpoint -> [(name, value), ...] of a form posted to it
        self.query_names = {"page", "q", "sort", "next", "id"}
        self._crawl()

    def request(self, method, path, *, who=None, query=None, data=None, as_json=False, client=None):
        """One request in its own context, as a server runs it, by a fresh client that `who` signs
        in (a generated request may sign out, change a password or delete what it reaches)."""
        if client is None:
            client = self.app.test_client()
            if who:
                self.request("POST", "/sign-in", data={"email": who, "password": DEMO_PASSWORD}, client=client)
        kwargs = {"query_string": query or {}, "headers": {"Origin": "http://localhost"}}
        if method != "GET":
            kwargs["json" if as_json else "data"] = data or {}
        return contextvars.Context().run(client.open, path, method=method, buffered=True, **kwargs)

    def _crawl(self):
        """Open every page that needs no generated value (ids 1 and 2 stand in) as an admin, and keep
        each form's fields by the endpoint it posts to, and every query-string name in links."""
        adapter = self.app.url_map.bind("localhost")
        admin = self.app.test_client()
        signed_in = self.request("POST", "/sign-in", data={"email": ADMIN, "password": DEMO_PASSWORD}, client=admin)
        assert signed_in.status_code == 302, "the crawl must see the staff pages and their forms"
        for rule in self.rules:
            if "GET" not in rule.methods:
                continue
            for path in _sample_paths(rule):  # id 2 only where id 1 shows no page
                response = self.request("GET", path, client=admin)
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                page = PageForms()
                page.feed(response.get_data(as_text=True))
                self.query_names.update(page.query_names)
                for action, fields in page.forms:
                    target = urlsplit(action or path)
                    if target.netloc:
                        continue
                    try:
                        endpoint, _args = adapter.match(target.path or path, method="POST")
                    except HTTPException:
                        continue
                    self.forms.setdefault(endpoint, fields + list(parse_qsl(target.query)))
                break


def _sample_paths(rule):
    """The rule's address with ids 1 and 2 (and a choice of each any() part)."""
    paths = []
    for n in (1, 2):
        parts = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                parts[name] = str(n)
            elif isinstance(converter, AnyConverter):
                parts[name] = sorted(converter.items)[n % len(converter.items)]
            else:
                parts[name] = "demo"
        paths.append(_fill(rule, parts))
        if not rule._converters:
            break
    return paths


def _fill(rule, parts):
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: parts[m.group(1)], rule.rule)


class PageForms(HTMLParser):
    """The forms of a page (action and fields with their values) and the query names of its links."""

    def __init__(self):
        super().__init__()
        self.forms, self.query_names, self._form = [], set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = (attrs.get("action") or "", [])
            self.forms.append(self._form)
        elif tag == "form":
            self._form = None
        elif tag in ("input", "textarea", "select") and self._form is not None and attrs.get("name"):
            self._form[1].append((attrs["name"], attrs.get("value") or ""))
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.query_names.update(name for name, _value in parse_qsl(urlsplit(attrs["href"]).query))
        if tag in ("input", "select") and self._form is None and attrs.get("name"):
            self.query_names.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


# --- what is generated -----------------------------------------------------------------------

ids = st.one_of(
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
    st.integers(min_value=2**63 - 2, max_value=10**30),
)
control_text = st.text(alphabet=st.sampled_from("\x00\x01\x08\x0b\x1b\x1f\x7f\r\n\t aé"), min_size=1, max_size=12)
nasty_text = st.one_of(
    control_text,
    st.text(max_size=30),
    ids.map(str),
    st.integers().map(str),
    st.sampled_from(["", " ", "-1", "1e309", "NaN", "é", "\u202e", "𝕏", "../../etc/passwd", "%00", "[]", "{}"]),
    st.just("x" * 20_000),
    st.just("y " * 5_000),
)
# A field sent several times where the form expects once is a wrong type too.
form_value = st.one_of(nasty_text, st.lists(nasty_text, min_size=2, max_size=3))


def path_parts(rule):
    parts = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            parts[name] = ids.map(str)
        elif isinstance(converter, AnyConverter):
            parts[name] = st.sampled_from(sorted(converter.items))
        elif isinstance(converter, PathConverter):
            parts[name] = nasty_text.map(lambda text: quote(text, safe="/"))
        else:
            parts[name] = st.one_of(nasty_text, st.just("demo")).map(lambda text: quote(text, safe=""))
    return st.fixed_dictionaries(parts)


def requests_for(site, rule, method):
    known_fields = site.forms.get(rule.endpoint, [])
    names = sorted({name for name, _value in known_fields} | {"id", "next"})
    changed = st.dictionaries(st.sampled_from(names), form_value, max_size=4)
    return st.fixed_dictionaries(
        {
            "path": path_parts(rule).map(lambda parts: _fill(rule, parts)),
            "who": st.sampled_from([None, CITIZEN, ADMIN]),
            "query": st.dictionaries(st.sampled_from(sorted(site.query_names)), form_value, max_size=3),
            # The page's own form with some fields replaced: it gets past "required" to the services.
            "data": changed.map(lambda new: {**dict(known_fields), **new}) if method != "GET" else st.none(),
            "as_json": st.booleans() if method != "GET" else st.just(False),
        }
    )


def test_no_route_answers_500_whatever_it_is_sent(seeded):
    checked = 0
    for rule in seeded.rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            _never_500(seeded, rule, method)
            checked += 1
    assert checked > 80  # every route of every blueprint, not a handful


def _never_500(site, rule, method):
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(requests_for(site, rule, method))
    def check(sent):
        response = site.request(method, **sent)
        assert response.status_code != 500, f"{method} {sent['path'][:200]} answered 500"

    check()


def test_the_crawl_found_the_sites_forms(seeded):
    """Otherwise the generated posts would stop at "required" and test little."""
    posted_to = ["discussions.post_comment", "petitions.create", "accounts.profile", "admin.categories"]
    for endpoint in [*posted_to, "consultations.edit"]:
        assert endpoint in seeded.forms, sorted(seeded.forms)
