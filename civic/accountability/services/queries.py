"""Reading implementation records: the public list (filters by area, status and kind; a page
in a constant number of queries), the areas to filter by, and the record of a proposal or of
projects, for the pages that link to them."""

from sqlalchemy import select

from civic.accountability.models import ImplementationRecord, Kind, Status
from civic.common.pagination import paginate
from civic.extensions import db

PER_PAGE = 20
STATUS_FILTERS = tuple(status.value for status in Status)
KIND_FILTERS = tuple(kind.value for kind in Kind)


def list_records(*, area=None, status=None, kind=None, page=1, per_page=PER_PAGE):
    """A page of records, the latest first; unknown filter values are ignored (a link typed by
    hand lists everything rather than failing)."""
    query = select(ImplementationRecord)
    if area:
        query = query.where(ImplementationRecord.area == area)
    if status in STATUS_FILTERS:
        query = query.where(ImplementationRecord.status == status)
    if kind == Kind.PROPOSAL.value:
        query = query.where(ImplementationRecord.proposal_id.is_not(None))
    elif kind == Kind.PROJECT.value:
        query = query.where(ImplementationRecord.project_id.is_not(None))
    return paginate(query.order_by(ImplementationRecord.id.desc()), page=page, per_page=per_page)


def record_areas():
    return list(
        db.session.scalars(
            select(ImplementationRecord.area)
            .where(ImplementationRecord.area != "")
            .distinct()
            .order_by(ImplementationRecord.area)
        )
    )


def record_of_proposal(proposal_id):
    return db.session.scalar(select(ImplementationRecord).where(ImplementationRecord.proposal_id == proposal_id))


def records_of_projects(project_ids):
    """{project id: record id} for the projects that have a record, in one query."""
    ids = [pid for pid in project_ids if pid is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(ImplementationRecord.project_id, ImplementationRecord.id).where(ImplementationRecord.project_id.in_(ids))
    )
    return dict(rows.all())
