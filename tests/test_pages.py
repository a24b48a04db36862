"""Site pages, the language switcher, localisation and the health check."""

import pytest

from civic import create_app
from tests.support.apps import base_config


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/about",
        "/accessibility",
        "/privacy",
        "/sign-in",
        "/register",
        "/password/forgot",
        "/verify/resend",
        "/register/check-email",
    ],
)
def test_public_pages_have_one_h1_landmarks_and_a_skip_link(client, path):
    html = client.get(path).get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html and "<nav" in html
    assert '<html lang="en">' in html


def test_language_switcher_changes_the_language_and_returns_to_the_page(web):
    response = web.post("/language", {"language": "es", "next": "/about"})
    assert response.status_code == 302 and response.headers["Location"] == "/about"
    html = web.get("/about").get_data(as_text=True)
    assert '<html lang="es">' in html and "Iniciar sesión" in html or "Entrar" in html


def test_language_switcher_ignores_unknown_languages_and_offsite_targets(web):
    response = web.post("/language", {"language": "xx", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"
    assert '<html lang="en">' in web.get("/").get_data(as_text=True)


def test_browser_language_is_used_when_nothing_was_chosen(client):
    html = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in html


def test_a_signed_in_persons_language_is_used(web, make_user):
    user = make_user(name="Pilar")
    from civic.extensions import db

    user.language = "es"
    db.session.commit()
    web.sign_in(user.email)
    assert '<html lang="es">' in web.get("/").get_data(as_text=True)


def test_dates_are_localised(app, web, login_as):
    login_as("citizen")
    web.post("/language", {"language": "es"})
    html = web.get("/people/1").get_data(as_text=True)
    import re

    assert re.search(r"\d{1,2} (ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic)\.? \d{4}", html), html


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["checks"]["database"]["ok"] is True


def test_healthz_reports_redis_when_configured(app, stack):
    body = app.test_client().get("/healthz").json
    assert ("redis" in body["checks"]) is (stack == "services")
    if stack == "services":
        assert body["checks"]["redis"]["ok"] is True


def test_healthz_reports_unreachable_services_as_503(tmp_path):
    app = create_app(
        base_config(
            tmp_path,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/dir/x.db",
            REDIS_URL="redis://127.0.0.1:1/0",
        )
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"]["ok"] is False
    assert response.json["checks"]["redis"]["ok"] is False


def test_the_kept_layout_follows_the_page_the_reader_and_the_language(web, login_as):
    """The navigation, footer and script texts are rendered once per key (civic.common.templating.kept):
    the current section, the staff link and the language must still be right on every page."""

    def nav(path):
        html = web.get(path).get_data(as_text=True)
        start = html.index('<nav class="site-nav"')
        return html[start : html.index("</nav>", start)]

    assert 'href="/petitions/" aria-current="page"' in nav("/petitions/")
    assert 'aria-current="page">Consultations' in nav("/consultations/")
    assert 'href="/petitions/" aria-current' not in nav("/consultations/")
    assert "Staff" not in nav("/about")
    login_as("admin")
    assert "Staff</a>" in nav("/about")
    web.post("/sign-out")
    assert "Staff" not in nav("/about")
    web.post("/language", {"language": "es", "next": "/about"})
    spanish = web.get("/about").get_data(as_text=True)
    assert ">Peticiones</a>" in spanish and 'lang="es"' in spanish
    assert "Accessibility statement" not in spanish


# Words for what Civic cannot do yet (issue 12: the pages promised them). When one of these
# features lands, it takes its word off this list in the same change.
NOT_YET = {
    "en": ("summar", "theme", "search"),
    "es": ("resumen", "tema", "buscar", "búsqueda"),
}


@pytest.mark.parametrize("path", ["/", "/about"])
def test_pages_promise_only_what_works(web, path):
    for language, words in NOT_YET.items():
        web.post("/language", {"language": language, "next": "/"})
        html = web.get(path).get_data(as_text=True).lower()
        text = html[html.index("<main") : html.index("</main>")]
        assert [word for word in words if word in text] == [], (language, path)


def test_the_readme_intro_promises_only_what_works():
    from tests.support.apps import project_root

    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    intro = readme[: readme.index("What works today")].lower()
    assert [word for word in NOT_YET["en"] if word in intro] == []


def test_the_councils_identity_shows_in_pages_and_emails(tmp_path):
    """Issue 12: a council sets its name, logo, colour, contact and footer links without code."""

    class Person:
        display_name = "Ana"

    from civic.extensions import db
    from civic.mail.services import send_mail
    from tests.support.apps import migrate_database

    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    config = base_config(
        tmp_path,
        CIVIC_SITE_NAME="Villaverde Participa",
        CIVIC_BRAND_COLOUR="#0b5d3b",
        CIVIC_LOGO_FILE=str(logo),
        CIVIC_CONTACT_EMAIL="participa@villaverde.example",
        CIVIC_FOOTER_LINKS=(("Ayuntamiento", "https://villaverde.example"),),
    )
    migrate_database(config)
    app = create_app(config)
    client = app.test_client()
    html = client.get("/about").get_data(as_text=True)
    assert '<img class="brand-logo" src="/brand/logo" alt="">Villaverde Participa' in html
    assert 'href="https://villaverde.example">Ayuntamiento<' in html
    assert 'href="mailto:participa@villaverde.example"' in html
    theme = client.get("/theme.css")
    assert theme.status_code == 200 and "--brand: #0b5d3b" in theme.get_data(as_text=True)
    assert theme.headers["Content-Type"].startswith("text/css")
    assert client.get("/brand/logo").headers["Content-Type"] == "image/png"
    with app.test_request_context("/"):
        message = send_mail("someone@example.org", "Hello", "password_changed", user=Person(), reset_url="https://x")
    body = message.get_content()
    assert body.rstrip().endswith(config["CIVIC_BASE_URL"]) and "participa@villaverde.example" in body
    assert message["Subject"].startswith("[Villaverde Participa]")
    with app.app_context():
        db.engine.dispose()
