"""Discussion categories: listing, finding by slug, creating and changing them (audited)."""

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func, select

from civic.audit.services import record_staff_action
from civic.common.db import commit as _commit
from civic.common.validation import clean_text
from civic.discussions.models import (
    CATEGORY_DESCRIPTION_MAX_LENGTH,
    CATEGORY_NAME_MAX_LENGTH,
    Category,
)
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from civic.permissions import ensure_can


def list_categories():
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def get_category(slug):
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(_("There is no such category."))
    return category


def _slugify(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:CATEGORY_NAME_MAX_LENGTH] or "category"


def save_category(actor, *, name, description="", citizens_may_start=True, category=None):
    """Create a category (category=None) or change one; audited."""
    ensure_can(actor, "category.manage", category)
    name = clean_text(
        name,
        field="name",
        max_length=CATEGORY_NAME_MAX_LENGTH,
        multiline=False,
        required=_("Give the category a name."),
        too_long=_("A name has at most %(n)d characters.", n=CATEGORY_NAME_MAX_LENGTH),
    )
    description = clean_text(
        description,
        field="description",
        max_length=CATEGORY_DESCRIPTION_MAX_LENGTH,
        too_long=_("Keep the description under %(n)d characters.", n=CATEGORY_DESCRIPTION_MAX_LENGTH),
    )
    creating = category is None
    if creating:
        slug = _slugify(name)
        if db.session.scalar(select(Category).where(Category.slug == slug)):
            raise InvalidInput(_("A category with that name exists already."), field="name")
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        category = Category(slug=slug, position=position)
        db.session.add(category)
    category.name, category.description, category.citizens_may_start = name, description, bool(citizens_may_start)
    db.session.flush()
    record_staff_action(
        actor,
        "category.create" if creating else "category.update",
        "category",
        category.id,
        name,
        "",
        {"citizens_may_start": category.citizens_may_start},
    )
    _commit()
    return category
