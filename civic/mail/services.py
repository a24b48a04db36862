"""send_mail(): renders a mail template in the recipient's language and hands it to the backend."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from civic.common.models import utcnow
from civic.errors import ServiceUnavailable


def mail_backend():
    return current_app.extensions["civic_mail"]


def send_mail(to, subject, template, *, language=None, **context):
    """Send a plain-text mail rendered from templates/mail/<template>.txt.

    `subject` is a callable so that it is translated in the recipient's language."""
    language = language or current_app.config["CIVIC_DEFAULT_LANGUAGE"]
    with force_locale(language):
        site = current_app.config["CIVIC_SITE_NAME"]
        text = render_template(f"mail/{template}.txt", site_name=site, **context).rstrip("\n") + "\n"
        # Every mail ends with who sent it and how to reach them (the council's identity).
        text += render_template(
            "mail/_footer.txt",
            site_name=site,
            contact_email=current_app.config.get("CIVIC_CONTACT_EMAIL", ""),
            base_url=current_app.config["CIVIC_BASE_URL"],
        )
        subject_text = subject() if callable(subject) else subject
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = f"[{site}] {subject_text}"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="civic.localhost")
    message.set_content(text)
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    try:
        mail_backend().send(message)
    except (OSError, Exception) as exc:  # smtplib errors are OSError subclasses or SMTPException
        current_app.logger.exception("Could not send mail %r to %s", template, to)
        raise ServiceUnavailable(_("We could not send the email just now. Please try again in a few minutes.")) from exc
    return message
