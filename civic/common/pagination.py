"""Page numbers: read from the query string and kept within range, for every list of the site."""

from flask import request

from civic.extensions import db

# Far beyond any list's last page (a million audit entries at 20 a page is 50,000 pages), and small
# enough that page x per_page stays an ordinary integer: a larger number made PostgreSQL fail with
# "bigint out of range" on the OFFSET instead of showing an empty page.
MAX_PAGE = 100_000


def page_number(value):
    """Any value as a page number between 1 and MAX_PAGE (1 when it is not a number)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def requested_page(name="page"):
    """The page the query string asks for (`?page=`)."""
    return page_number(request.args.get(name))


def offset_of(page, per_page):
    return (page_number(page) - 1) * per_page


def paginate(query, *, page, per_page):
    """One page of `query` (Flask-SQLAlchemy's Pagination); past the last page, an empty one."""
    return db.paginate(query, page=page_number(page), per_page=per_page, error_out=False)
