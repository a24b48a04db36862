"""The officials' results: the dashboard, free-text answers to read, and the CSV and JSON exports."""

import json

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user, login_required

from civic.common.downloads import attachment_headers, stream_csv
from civic.common.pagination import requested_page
from civic.consultations.services.lifecycle import get_consultation
from civic.consultations.services.questions import get_question
from civic.consultations.services.results import export_responses, text_answers
from civic.consultations.services.results import results as results_of
from civic.consultations.views.blueprint import bp, me

ANSWERS_PER_PAGE = 20


@bp.get("/<int:consultation_id>/results")
@login_required
def results(consultation_id):
    consultation = get_consultation(consultation_id, current_user)
    return render_template("consultations/results.html", consultation=consultation, data=results_of(me(), consultation))


@bp.get("/<int:consultation_id>/results/<int:question_id>")
@login_required
def read_answers(consultation_id, question_id):
    consultation = get_consultation(consultation_id, current_user)
    question = get_question(consultation, question_id)
    contains = request.args.get("contains", "")
    page = requested_page()
    rows, total = text_answers(me(), consultation, question, contains=contains, page=page, per_page=ANSWERS_PER_PAGE)
    return render_template(
        "consultations/read_answers.html",
        consultation=consultation,
        question=question,
        rows=rows,
        total=total,
        page=page,
        contains=contains,
        per_page=ANSWERS_PER_PAGE,
    )


@bp.get("/<int:consultation_id>/export.<any(csv, json):fmt>")
@login_required
def export(consultation_id, fmt):
    consultation = get_consultation(consultation_id, current_user)
    personal_data = request.args.get("personal") == "1"
    header, rows = export_responses(me(), consultation, personal_data=personal_data)
    kind = "with-personal-data" if personal_data else "anonymised"
    filename = f"consultation-{consultation.id}-responses-{kind}.{fmt}"
    if fmt == "csv":
        return stream_csv(header, rows, filename, bom=True)

    def as_json():
        yield (
            '{"consultation": '
            + json.dumps({"id": consultation.id, "title": consultation.title})
            + ', "columns": '
            + json.dumps(header)
            + ', "responses": ['
        )
        first = True
        for row in rows:
            yield ("" if first else ",") + json.dumps(dict(zip(header, row)), ensure_ascii=False)
            first = False
        yield "]}"

    return Response(stream_with_context(as_json()), mimetype="application/json", headers=attachment_headers(filename))
