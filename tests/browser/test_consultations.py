"""Consultations in a real browser: a citizen reads an open consultation and answers one question
of every kind (mistakes first, then put right with the keyboard), reviews and submits; another
saves half-way and finds the answers again; an official drafts, builds the questionnaire, sets
the timeline, publishes, closes early and reports back; and a closed consultation opens with
"You said, we did". Every page on the way passes axe-core's WCAG 2.x A/AA rules and fits a
320px-wide window.

The data the journeys start from is written through the services inside the live server's app
context. The clock cannot be frozen in a live server, so the consultations open a minute ago and
close in thirty days, in the site's time zone (UTC here). As in test_discussions, nothing here
creates another Flask app while the server runs (Socket.IO emits through the newest app)."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from civic.extensions import db
from tests.support.browser import Journey, live_server_fixture, local_now, sign_in, user_by_email
from tests.support.consultations import draft_fields

pytestmark = pytest.mark.browser

OPEN_TITLE = "Getting around town"
OUTCOME_TITLE = "Library opening hours"
DRAFT_TITLE = "Old draft: bus shelters"
PROMPTS = SimpleNamespace(
    short="Where do you live?",
    long="What would make your trips better?",
    single="How do you usually travel?",
    multiple="Which would you use?",
    scale="How safe do you feel cycling?",
    ranking="Rank these priorities",
    yes_no="Would you support a car-free Saturday?",
)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> takes and gives


# --- server and data ------------------------------------------------------------------------

live_server = live_server_fixture("live-consultations", CIVIC_TIMEZONE="UTC")


@pytest.fixture(scope="module")
def world(live_server):
    """People and consultations, written through the services as the app itself would."""
    from civic.consultations.services import lifecycle, questions, responses

    make = live_server.make_user
    people = SimpleNamespace(
        olga=make("olga.official@example.org", name="Olga Official", roles=("citizen", "official")),
        rosa=make("rosa.responder@example.org", name="Rosa Responder"),
        sam=make("sam.saver@example.org", name="Sam Saver"),
        tina=make("tina.told@example.org", name="Tina Told"),
    )
    ids = SimpleNamespace()
    opens, closes = local_now() - timedelta(minutes=1), local_now() + timedelta(days=30)
    Q = questions.QuestionData
    with live_server.app.app_context():
        olga, tina = user_by_email(people.olga["email"]), user_by_email(people.tina["email"])

        # Open now, with one question of every kind, a timeline and a body.
        survey = lifecycle.create_consultation(
            olga,
            lifecycle.ConsultationFields(
                title=OPEN_TITLE,
                summary="How do you travel in town, and what would make it better?",
                body_markdown="The council is drawing up its **transport plan** for 2027–2030.\n\n"
                "- Buses\n- Bikes\n- Walking",
                topic="Transport",
                area="Whole town",
                contact="transport@example.org",
                opens_local=opens,
                closes_local=closes,
                anonymous_responses=True,
            ),
        )
        for data in (
            Q(kind="short_text", prompt=PROMPTS.short, section="About you"),
            Q(
                kind="long_text",
                prompt=PROMPTS.long,
                help_text="A few sentences are enough.",
                required=True,
                section="Your trips",
            ),
            Q(
                kind="single_choice",
                prompt=PROMPTS.single,
                options=("Bus", "Bike", "Car"),
                allow_other=True,
                required=True,
            ),
            Q(kind="multiple_choice", prompt=PROMPTS.multiple, options=("Night bus", "Bike lanes", "Car share")),
            Q(
                kind="scale",
                prompt=PROMPTS.scale,
                scale="0-10",
                scale_min_label="Not at all",
                scale_max_label="Completely",
            ),
            Q(kind="ranking", prompt=PROMPTS.ranking, options=("Safety", "Speed", "Cost")),
            Q(kind="yes_no", prompt=PROMPTS.yes_no, required=True),
        ):
            questions.save_question(olga, survey, data)
        lifecycle.set_timeline(
            olga,
            survey,
            [
                lifecycle.TimelineRow(
                    name="Consultation",
                    description="Tell us what you think.",
                    starts_on=opens.date(),
                    ends_on=closes.date(),
                ),
                lifecycle.TimelineRow(name="Decision", description="The council votes on the plan."),
            ],
        )
        lifecycle.publish_consultation(olga, survey)
        ids.survey = survey.id
        ids.questions = {q.kind: q.id for q in survey.questions}

        # Closed early with an outcome, after one response (Tina's).
        library = lifecycle.create_consultation(
            olga,
            lifecycle.ConsultationFields(
                title=OUTCOME_TITLE,
                summary="Should the central library open on Sundays?",
                body_markdown="We asked whether to open on Sundays.",
                topic="Culture",
                opens_local=opens,
                closes_local=closes,
            ),
        )
        sundays = questions.save_question(olga, library, Q(kind="yes_no", prompt="Open on Sundays?", required=True))
        lifecycle.publish_consultation(olga, library)
        responses.submit_response(tina, library, {sundays.id: ("yes", "")})
        lifecycle.close_early(olga, library, "The budget was agreed early, so we decided sooner.")
        lifecycle.publish_outcome(
            olga,
            library,
            "**You said** you wanted Sunday opening.\n\n"
            "**We did**: the library opens on Sundays from May, 11:00 to 17:00.",
            [
                lifecycle.OutcomeItemRow(
                    question_id=str(sundays.id),
                    you_said="Everyone who answered wants it.",
                    we_did="Sunday opening from May.",
                )
            ],
        )
        ids.library = library.id

        # A draft, for the official to delete.
        ids.draft = lifecycle.create_consultation(olga, draft_fields(title=DRAFT_TITLE)).id
        db.session.remove()
    return SimpleNamespace(people=people, ids=ids)


# --- helpers --------------------------------------------------------------------------------


def question(page, prompt):
    """A question of the response form: its fieldset (choices) or its text field's block."""
    return (
        page.locator(".field")
        .filter(has=page.locator("legend, label").filter(has_text=re.compile("^" + re.escape(prompt))))
        .first
    )


def fact(page, name):
    return page.locator(".facts dt").filter(has_text=re.compile(f"^{name}$")).locator("xpath=following-sibling::dd[1]")


def focus_is_in(locator):
    return locator.evaluate("el => el === document.activeElement || el.contains(document.activeElement)")


def answers_on_review(page):
    terms = page.locator(".answers dt").all_inner_texts()
    texts = page.locator(".answers dd").all_inner_texts()
    return dict(zip(terms, texts))


# --- a citizen responds ---------------------------------------------------------------------


def test_a_citizen_answers_every_kind_of_question_puts_mistakes_right_and_submits(page, live_server, world):
    ids = world.ids
    sign_in(page, live_server, world.people.rosa)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")

    journey.goto("/consultations/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultations")
    main.get_by_role("link", name=OPEN_TITLE).click()
    page.wait_for_url(f"**/consultations/{ids.survey}")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text(OPEN_TITLE)
    expect(main.locator(".badge").first).to_have_text("Open")
    expect(main.locator(".lead")).to_have_text("How do you travel in town, and what would make it better?")
    timeline = main.get_by_role("region", name="Timeline")
    expect(timeline.locator("li")).to_have_count(2)
    expect(timeline.locator("li").first).to_contain_text("Consultation")
    expect(timeline.locator("li").nth(1)).to_contain_text("The council votes on the plan.")
    about = main.get_by_role("region", name="About this consultation")
    expect(about.locator("strong")).to_have_text("transport plan")
    expect(about.locator("li")).to_have_count(3)
    expect(fact(page, "Responses")).to_have_text("0")
    expect(fact(page, "Closes")).to_contain_text("30 days left")

    main.get_by_role("link", name="Respond", exact=True).click()
    page.wait_for_url(f"**/consultations/{ids.survey}/respond")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your response")
    expect(main.get_by_role("heading", level=2, name="About you")).to_be_visible()
    expect(main.get_by_role("heading", level=2, name="Your trips")).to_be_visible()
    # One question of every kind, each named by its prompt.
    short = main.get_by_role("textbox", name=PROMPTS.short)
    long = main.get_by_role("textbox", name=re.compile("^" + re.escape(PROMPTS.long)))
    expect(short).to_be_visible()
    expect(long).to_have_attribute("required", "")
    expect(long).to_have_accessible_description("A few sentences are enough.")
    single = main.get_by_role("group", name=re.compile("^" + re.escape(PROMPTS.single)))
    expect(single.get_by_role("radio")).to_have_count(4)  # Bus, Bike, Car, Other
    expect(single.get_by_role("textbox", name="Other, please say")).to_be_visible()
    multiple = main.get_by_role("group", name=PROMPTS.multiple)
    expect(multiple.get_by_role("checkbox")).to_have_count(3)
    scale = main.get_by_role("group", name=PROMPTS.scale)
    expect(scale.get_by_role("radio")).to_have_count(11)  # 0 to 10
    expect(scale.get_by_role("radio", name="0 (Not at all)")).to_be_visible()
    expect(scale.get_by_role("radio", name="10 (Completely)")).to_be_visible()
    ranking = main.get_by_role("group", name=PROMPTS.ranking)
    expect(ranking.get_by_role("spinbutton")).to_have_count(3)
    yes_no = main.get_by_role("group", name=re.compile("^" + re.escape(PROMPTS.yes_no)))
    expect(yes_no.get_by_role("radio")).to_have_count(2)

    # First try, with mistakes: the required long answer and yes/no left empty, "Other" without
    # saying what, and two options ranked first.
    short.fill("Old Town")
    single.get_by_role("radio", name="Other", exact=True).check()
    multiple.get_by_role("checkbox", name="Night bus").check()
    scale.get_by_role("radio", name="3", exact=True).check()
    for option, position in (("Safety", "1"), ("Speed", "1"), ("Cost", "2")):
        ranking.get_by_role("spinbutton", name=option).fill(position)
    main.get_by_role("button", name="Review my answers").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    journey.check()  # the error state passes too
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_text(
        [
            f"{PROMPTS.long}: Please answer this question.",
            f"{PROMPTS.single}: Say what your other answer is, or choose another option.",
            f"{PROMPTS.ranking}: Give each of the 3 options a different position, from 1 to 3.",
            f"{PROMPTS.yes_no}: Please answer this question.",
        ]
    )
    for group, kind in ((long, "long_text"), (single, "single_choice"), (ranking, "ranking"), (yes_no, "yes_no")):
        qid = ids.questions[kind]
        expect(group).to_have_attribute("aria-describedby", re.compile(rf"\bq{qid}-error\b"))
        expect(page.locator(f"#q{qid}-error")).to_be_visible()
    expect(long).to_have_attribute("aria-invalid", "true")
    # What was right is kept.
    expect(short).to_have_value("Old Town")
    expect(multiple.get_by_role("checkbox", name="Night bus")).to_be_checked()
    expect(scale.get_by_role("radio", name="3", exact=True)).to_be_checked()
    expect(ranking.get_by_role("spinbutton", name="Speed")).to_have_value("1")
    # Each link of the summary takes the focus to its question: a text answer's box, or the
    # group of a choice (which announces the question and its error; Tab then enters it).
    for index, target in enumerate((long, single, ranking, yes_no)):
        links.nth(index).click()
        assert focus_is_in(target), f"summary link {index + 1} did not move the focus to its question"
    expect(yes_no).to_be_focused()
    page.keyboard.press("Tab")
    expect(yes_no.get_by_role("radio", name="Yes")).to_be_focused()

    # Put right with the keyboard alone: Tab into each group, arrows and Space to choose.
    keyboard = page.keyboard
    short.focus()
    keyboard.press("Tab")
    expect(long).to_be_focused()
    keyboard.type("More frequent buses at night.")
    keyboard.press("Tab")  # into the single choice: the checked radio ("Other") takes the focus
    expect(single.get_by_role("radio", name="Other", exact=True)).to_be_focused()
    keyboard.press("ArrowUp")
    keyboard.press("ArrowUp")
    expect(single.get_by_role("radio", name="Bike")).to_be_focused()
    expect(single.get_by_role("radio", name="Bike")).to_be_checked()
    keyboard.press("Tab")
    expect(single.get_by_role("textbox", name="Other, please say")).to_be_focused()
    keyboard.press("Tab")
    expect(multiple.get_by_role("checkbox", name="Night bus")).to_be_focused()
    keyboard.press("Tab")
    expect(multiple.get_by_role("checkbox", name="Bike lanes")).to_be_focused()
    keyboard.press("Space")
    expect(multiple.get_by_role("checkbox", name="Bike lanes")).to_be_checked()
    keyboard.press("Tab")
    keyboard.press("Tab")  # past "Car share", into the scale at its checked value
    expect(scale.get_by_role("radio", name="3", exact=True)).to_be_focused()
    keyboard.press("ArrowRight")
    expect(scale.get_by_role("radio", name="4", exact=True)).to_be_checked()
    for option, position in (("Safety", "1"), ("Speed", "3"), ("Cost", "2")):
        keyboard.press("Tab")
        expect(ranking.get_by_role("spinbutton", name=option)).to_be_focused()
        keyboard.press("ControlOrMeta+A")
        keyboard.type(position)
    keyboard.press("Tab")  # nothing chosen yet: the first radio takes the focus
    expect(yes_no.get_by_role("radio", name="Yes")).to_be_focused()
    keyboard.press("Space")
    expect(yes_no.get_by_role("radio", name="Yes")).to_be_checked()
    keyboard.press("Tab")
    expect(main.get_by_role("button", name="Review my answers")).to_be_focused()
    journey.check()  # the corrected form, before it is sent
    keyboard.press("Enter")

    page.wait_for_url(f"**/consultations/{ids.survey}/respond/review")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    assert answers_on_review(page) == {
        PROMPTS.short: "Old Town",
        PROMPTS.long: "More frequent buses at night.",
        PROMPTS.single: "Bike",
        PROMPTS.multiple: "Night bus; Bike lanes",
        PROMPTS.scale: "4",
        PROMPTS.ranking: "1. Safety; 2. Cost; 3. Speed",
        PROMPTS.yes_no: "Yes",
    }, answers_on_review(page)
    main.get_by_role("button", name="Submit my response").click()
    page.wait_for_url(f"**/consultations/{ids.survey}")
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Thank you: your response is submitted.")
    box = main.get_by_role("region", name="Have your say")
    expect(box).to_contain_text("You responded on")
    expect(box.get_by_role("link", name="Change your response")).to_be_visible()
    expect(box.locator('[data-tally-value="responses"]')).to_have_text("1")
    expect(fact(page, "Responses")).to_have_text("1")

    journey.assert_every_page_checked()


def test_save_and_finish_later_keeps_the_answers(page, live_server, world):
    ids = world.ids
    sign_in(page, live_server, world.people.sam)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")

    journey.goto(f"/consultations/{ids.survey}")
    responses_before = fact(page, "Responses").inner_text()
    main.get_by_role("link", name="Respond", exact=True).click()
    page.wait_for_url(f"**/consultations/{ids.survey}/respond")
    journey.check()
    main.get_by_role("textbox", name=PROMPTS.short).fill("Riverside")
    main.get_by_role("textbox", name=re.compile("^" + re.escape(PROMPTS.long))).fill(
        "Safer crossings near the schools.\nAnd benches."
    )
    single = question(page, PROMPTS.single)
    single.get_by_role("radio", name="Other", exact=True).check()
    single.get_by_role("textbox", name="Other, please say").fill("Scooter")
    multiple = question(page, PROMPTS.multiple)
    multiple.get_by_role("checkbox", name="Night bus").check()
    multiple.get_by_role("checkbox", name="Car share").check()
    question(page, PROMPTS.scale).get_by_role("radio", name="7").check()
    ranking = question(page, PROMPTS.ranking)
    for option, position in (("Safety", "2"), ("Speed", "1"), ("Cost", "3")):
        ranking.get_by_role("spinbutton", name=option).fill(position)
    # The required yes/no question stays unanswered: saving does not check.
    main.get_by_role("button", name="Save and finish later").click()
    page.wait_for_url(f"**/consultations/{ids.survey}")
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Your answers are saved.")
    box = main.get_by_role("region", name="Have your say")
    expect(box).to_contain_text("You have saved answers that are not submitted yet.")
    expect(fact(page, "Responses")).to_have_text(responses_before)  # saved is not submitted

    # Leave, and come back another time.
    journey.goto("/consultations/")
    main.get_by_role("link", name=OPEN_TITLE).click()
    page.wait_for_url(f"**/consultations/{ids.survey}")
    journey.check()
    main.get_by_role("link", name="Continue your response").click()
    page.wait_for_url(f"**/consultations/{ids.survey}/respond")
    journey.check()
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    expect(main.get_by_role("textbox", name=PROMPTS.short)).to_have_value("Riverside")
    expect(main.get_by_role("textbox", name=re.compile("^" + re.escape(PROMPTS.long)))).to_have_value(
        "Safer crossings near the schools.\nAnd benches."
    )
    expect(single.get_by_role("radio", name="Other", exact=True)).to_be_checked()
    expect(single.get_by_role("textbox", name="Other, please say")).to_have_value("Scooter")
    for option, checked in (("Night bus", True), ("Bike lanes", False), ("Car share", True)):
        expect(multiple.get_by_role("checkbox", name=option)).to_be_checked(checked=checked)
    expect(question(page, PROMPTS.scale).get_by_role("radio", name="7")).to_be_checked()
    for option, position in (("Safety", "2"), ("Speed", "1"), ("Cost", "3")):
        expect(ranking.get_by_role("spinbutton", name=option)).to_have_value(position)
    for answer in ("Yes", "No"):
        expect(question(page, PROMPTS.yes_no).get_by_role("radio", name=answer)).not_to_be_checked()

    journey.assert_every_page_checked()


# --- an official runs a consultation --------------------------------------------------------


def test_an_official_drafts_builds_publishes_closes_and_reports_back(page, live_server, world):
    sign_in(page, live_server, world.people.olga)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    staff_tools = main.get_by_role("region", name="For officials")
    title = "Parking on Calle Mayor"

    # A new draft, first sent empty.
    journey.goto("/consultations/")
    main.get_by_role("link", name="New consultation").click()
    page.wait_for_url("**/consultations/new")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("New consultation")
    main.get_by_role("button", name="Save draft").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link", name="Give the consultation a title.")).to_have_attribute("href", "#title")
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")

    main.get_by_label("Title").fill(title)
    main.get_by_label("Summary").fill("Should parking on Calle Mayor be paid, and when?")
    main.get_by_label("Information for participants").fill("Parking is free today. We propose **paid** parking.")
    main.get_by_label("Topic (optional)").fill("Transport")
    main.get_by_label("Area or audience (optional)").fill("Old Town")
    main.get_by_label("Contact for questions (optional)").fill("parking@example.org")
    dates = main.get_by_role("group", name="Dates, in the UTC time zone")
    dates.get_by_label("Opens").fill("2030-01-01T09:00")
    dates.get_by_label("Closes").fill("2030-02-01T17:00")
    main.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/consultations/\d+$"))
    consultation_url = page.url
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Draft saved.")
    expect(main.locator(".badge").first).to_have_text("Draft")
    expect(fact(page, "Opens")).to_contain_text("2030")

    # Dates moved so that it opens now (a minute ago) and closes in thirty days.
    staff_tools.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_url("**/edit")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit consultation")
    expect(dates.get_by_label("Opens")).to_have_value("2030-01-01T09:00")
    expect(main.get_by_label("Title")).to_have_value(title)
    dates.get_by_label("Opens").fill((local_now() - timedelta(minutes=1)).strftime(DATETIME_LOCAL))
    dates.get_by_label("Closes").fill((local_now() + timedelta(days=30)).strftime(DATETIME_LOCAL))
    main.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(consultation_url)
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Changes saved.")

    # The questionnaire builder: a mistake first, then questions of several kinds.
    staff_tools.get_by_role("link", name="Questionnaire (0)").click()
    page.wait_for_url("**/questions")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaire")
    expect(main).to_contain_text("No questions yet.")
    # The kind first, then only the settings of that kind (issue 12); changing the kind on the
    # form shows the settings of the new one at once.
    expect(main.get_by_label("Question", exact=True)).to_have_count(0)
    main.get_by_label("Kind of question").select_option(label="Rating scale")
    main.get_by_role("button", name="Continue").click()
    journey.check()
    expect(main.get_by_label("Scale", exact=True)).to_be_visible()
    expect(main.get_by_label("Options, one per line")).to_be_hidden()
    expect(main.get_by_role("button", name="Show the settings of this kind")).to_be_hidden()
    main.get_by_label("Kind of question").select_option(label="Single choice")
    expect(main.get_by_label("Options, one per line")).to_be_visible()
    expect(main.get_by_label("Scale", exact=True)).to_be_hidden()
    main.get_by_label("Question", exact=True).fill("Which streets?")
    main.get_by_label("Options, one per line").fill("Calle Mayor only")
    main.get_by_role("button", name="Add the question").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link")).to_have_text(
        "Give between 2 and 30 different options, one per line, each under 200 characters."
    )
    expect(summary.get_by_role("link")).to_have_attribute("href", "#options")
    expect(main.get_by_label("Options, one per line")).to_have_attribute("aria-invalid", "true")

    builder = [
        {
            "Kind of question": "Single choice",
            "Question": "Which streets should have paid parking?",
            "Options, one per line": "Calle Mayor only\nCalle Mayor and side streets\nNone",
            "required": True,
            "other": True,
            "section": "Where",
        },
        {
            "Kind of question": "Rating scale",
            "Question": "How hard is it to park today?",
            "scale": "0 – 10",
            "Label of the lowest value": "Very easy",
            "Label of the highest value": "Impossible",
        },
        {"Kind of question": "Yes or no", "Question": "Do you own a car?", "required": True},
        {
            "Kind of question": "Long text",
            "Question": "Anything else?",
            "Help text (optional)": "Tell us in your own words.",
        },
    ]
    for number, spec in enumerate(builder):
        if number:  # after the first (the form with the mistake is still open), the kind first
            main.get_by_label("Kind of question").select_option(label=spec["Kind of question"])
            main.get_by_role("button", name="Continue").click()
            journey.check()
        else:
            main.get_by_label("Kind of question").select_option(label=spec["Kind of question"])
        main.get_by_label("Start a new section with this heading (optional)").fill(spec.get("section", ""))
        main.get_by_label("Question", exact=True).fill(spec["Question"])
        main.get_by_label("Help text (optional)").fill(spec.get("Help text (optional)", ""))
        main.get_by_label("An answer is required").set_checked(spec.get("required", False))
        if "Options, one per line" in spec:
            main.get_by_label("Options, one per line").fill(spec["Options, one per line"])
        if "other" in spec:
            main.get_by_label("Offer “Other, please say”").set_checked(spec["other"])
        if "scale" in spec:
            main.get_by_label("Scale", exact=True).select_option(label=spec["scale"])
            main.get_by_label("Label of the lowest value").fill(spec.get("Label of the lowest value", ""))
            main.get_by_label("Label of the highest value").fill(spec.get("Label of the highest value", ""))
        main.get_by_role("button", name="Add the question").click()
        expect(page.locator(".flash-success")).to_have_text("Question added.")
        journey.check()
    items = main.locator(".question-list > li")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("Which streets should have paid parking? (Single choice, required)")
    expect(items.nth(0)).to_contain_text("Calle Mayor only · Calle Mayor and side streets · None")
    expect(items.nth(0).locator(".section-heading")).to_have_text("Where")
    expect(items.nth(1)).to_contain_text("How hard is it to park today? (Rating scale)")
    expect(items.nth(2)).to_contain_text("Do you own a car? (Yes or no, required)")

    # Edit a question, then move it up.
    main.get_by_role("link", name="Edit Do you own a car?").click()
    page.wait_for_url(re.compile(r"/questions/\d+$"))
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit a question")
    expect(main.get_by_label("Kind of question")).to_have_value("yes_no")
    expect(main.get_by_label("An answer is required")).to_be_checked()
    main.get_by_label("Question", exact=True).fill("Do you own or share a car?")
    main.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/questions")
    expect(page.locator(".flash-success")).to_have_text("Question saved.")
    main.get_by_role("button", name="Move up Do you own or share a car?").click()
    expect(items.nth(1)).to_contain_text("Do you own or share a car?")
    journey.check()
    expect(items.nth(2)).to_contain_text("How hard is it to park today?")

    # The timeline: a phase ending before it starts is refused, beside its row.
    main.locator(".kicker").get_by_role("link", name=title).click()
    page.wait_for_url(consultation_url)
    journey.check()
    staff_tools.get_by_role("link", name="Edit the timeline").click()
    page.wait_for_url("**/timeline")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Timeline")
    phase_1 = main.get_by_role("group", name="Phase 1")
    phase_2 = main.get_by_role("group", name="Phase 2")
    phase_1.get_by_label("Phase name").fill("Consultation")
    phase_1.get_by_label("Description").fill("Tell us what you think.")
    phase_1.get_by_label("Starts").fill(local_now().date().isoformat())
    phase_1.get_by_label("Ends").fill((local_now() + timedelta(days=30)).date().isoformat())
    phase_2.get_by_label("Phase name").fill("Decision")
    phase_2.get_by_label("Starts").fill("2030-06-30")
    phase_2.get_by_label("Ends").fill("2030-06-01")
    main.get_by_role("button", name="Save the timeline").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary).to_contain_text("Phase 2: A phase cannot end before it starts.")
    expect(phase_2.get_by_label("Ends")).to_have_attribute("aria-invalid", "true")
    phase_2.get_by_label("Ends").fill("2030-07-15")
    main.get_by_role("button", name="Save the timeline").click()
    page.wait_for_url(consultation_url)
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("Timeline saved.")
    expect(main.get_by_role("region", name="Timeline").locator("li")).to_have_count(2)

    # Publish: it is open at once.
    staff_tools.get_by_role("button", name="Publish").click()
    page.wait_for_url(consultation_url)
    journey.check()
    expect(page.locator(".flash-success")).to_contain_text("Published.")
    expect(main.locator(".badge").first).to_have_text("Open")
    expect(main.get_by_role("region", name="Have your say")).to_be_visible()
    expect(staff_tools.get_by_role("link", name="Delete draft")).to_have_count(0)

    # Close early, with a reason (first forgotten).
    staff_tools.get_by_role("link", name="Close early").click()
    page.wait_for_url("**/close")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the consultation early")
    main.get_by_role("button", name="Close now").click()
    expect(summary).to_be_focused()
    journey.check()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#reason")
    main.get_by_label("Reason").fill("The street works start sooner than planned.")
    main.get_by_role("button", name="Close now").click()
    page.wait_for_url(consultation_url)
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("The consultation is closed.")
    expect(main.locator(".badge").first).to_have_text("Closed")
    expect(main.get_by_role("note")).to_contain_text("The street works start sooner than planned.")

    # Report back.
    staff_tools.get_by_role("link", name="Publish the outcome").click()
    page.wait_for_url("**/outcome")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("The outcome")
    main.get_by_label("What was decided, and why").fill("Paid parking on **Calle Mayor only**, from June.")
    main.get_by_role("button", name="Publish the outcome").click()
    page.wait_for_url(consultation_url)
    journey.check()
    outcome = main.get_by_role("region", name="You said, we did")
    expect(outcome.locator("strong")).to_have_text("Calle Mayor only")
    expect(staff_tools.get_by_role("link", name="Update the outcome")).to_be_visible()

    # Deleting a draft asks first.
    journey.goto("/consultations/?show=draft")
    main.get_by_role("link", name=DRAFT_TITLE).click()
    page.wait_for_url(f"**/consultations/{world.ids.draft}")
    journey.check()
    staff_tools.get_by_role("link", name="Delete draft").click()
    page.wait_for_url(f"**/consultations/{world.ids.draft}/delete")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    expect(main.get_by_role("link", name="Keep it")).to_be_visible()
    main.get_by_role("button", name="Delete the draft").click()
    page.wait_for_url("**/consultations/?show=draft")
    journey.check()
    expect(page.locator(".flash-success")).to_have_text("The draft is deleted.")
    expect(main.get_by_role("link", name=DRAFT_TITLE)).to_have_count(0)

    journey.assert_every_page_checked()


# --- you said, we did -----------------------------------------------------------------------


def test_a_closed_consultation_opens_with_what_was_decided(page, live_server, world):
    sign_in(page, live_server, world.people.tina)
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")

    journey.goto("/consultations/?show=outcome")
    expect(main.get_by_role("link", name="With outcome")).to_have_attribute("aria-current", "true")
    card = main.locator(".card").filter(has=page.get_by_role("link", name=OUTCOME_TITLE))
    expect(card.locator(".badge")).to_have_text("Outcome published")
    card.get_by_role("link", name=OUTCOME_TITLE).click()
    page.wait_for_url(f"**/consultations/{world.ids.library}")
    journey.check()

    # The outcome comes first: straight after the title and the status line.
    expect(main.locator("h2").first).to_have_text("You said, we did")
    outcome = main.get_by_role("region", name="You said, we did")
    expect(outcome).to_contain_text("the library opens on Sundays from May")
    expect(outcome.locator("strong").first).to_have_text("You said")
    first_after_heading = main.locator("h1 ~ *:not(p.muted)").first
    expect(first_after_heading).to_have_class(re.compile(r"\boutcome\b"))
    expect(main.locator(".badge").first).to_have_text("Outcome published")
    expect(fact(page, "Closed")).to_be_visible()
    expect(fact(page, "Responses")).to_have_text("1")
    expect(main.get_by_role("note")).to_contain_text("The budget was agreed early, so we decided sooner.")
    expect(main).to_contain_text("You responded on")
    expect(main.get_by_role("region", name="Have your say")).to_have_count(0)  # no more responses
    expect(main.get_by_role("link", name="Discuss this consultation with others")).to_be_visible()
    point = outcome.locator(".outcome-point")
    expect(point.get_by_role("heading", level=3)).to_have_text("About the question “Open on Sundays?”")
    expect(point.get_by_role("table")).to_contain_text("100.0%")
    expect(point).to_contain_text("Sunday opening from May.")

    journey.assert_every_page_checked()


def test_someone_without_an_account_responds_and_confirms_by_email(page, live_server, world):
    journey = Journey(page, live_server.url)
    main = page.get_by_role("main")
    journey.goto(f"/consultations/{world.ids.survey}")
    main.get_by_role("link", name="Respond without an account").click()
    page.wait_for_url(f"**/consultations/{world.ids.survey}/respond/without-account")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Respond without an account")
    # Mistakes first: no address and a required question left out.
    main.get_by_role("textbox", name=re.compile("^" + re.escape(PROMPTS.long))).fill("Later buses, please.")
    main.get_by_role("button", name="Send my response").click()
    journey.check()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link").first).to_contain_text("Your email address")
    expect(main.get_by_role("textbox", name=re.compile("^" + re.escape(PROMPTS.long)))).to_have_value(
        "Later buses, please."
    )
    summary.get_by_role("link").first.click()
    expect(main.get_by_role("textbox", name="Your email address")).to_be_focused()
    journey.check()  # the link moved to #email
    page.keyboard.type("walker@example.org")
    single = main.get_by_role("group", name=re.compile("^" + re.escape(PROMPTS.single)))
    single.get_by_role("radio", name="Bus").check()
    main.get_by_role("group", name=re.compile("^" + re.escape(PROMPTS.yes_no))).get_by_role("radio", name="Yes").check()
    main.get_by_role("button", name="Send my response").click()
    page.wait_for_url("**/respond/check-your-email")
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    journey.goto("/dev/mail/")
    newest = page.locator("table tbody tr").first
    expect(newest).to_contain_text("walker@example.org")
    newest.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/dev/mail/[^/]+$"))
    journey.check()
    body = page.locator(".mail-body").inner_text()
    assert "Later buses, please." in body  # a copy of the answers comes with the link
    link = re.search(r"https?://\S+/respond/confirm/\S+", body).group(0)
    page.goto(link)
    journey.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your response counts")

    journey.assert_every_page_checked()
