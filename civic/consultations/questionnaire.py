"""Questionnaire rules as pure functions: what each kind of question accepts.

No Flask, no database: a question is described by a QuestionSpec and an answer by plain values,
so that the same checks serve the form, the JSON API and the tests."""

from dataclasses import dataclass, field

SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
OTHER_TEXT_MAX = 500
KINDS = ("short_text", "long_text", "single_choice", "multiple_choice", "scale", "ranking", "yes_no")
CHOICE_KINDS = frozenset({"single_choice", "multiple_choice", "ranking"})
OTHER_KINDS = frozenset({"single_choice", "multiple_choice"})  # may offer "Other, please say"
# The settings a question has beyond its wording, by kind: what the question editor shows.
SETTINGS_OF_KIND = {
    kind: frozenset(
        (["options"] if kind in CHOICE_KINDS else [])
        + (["allow_other"] if kind in OTHER_KINDS else [])
        + (["scale"] if kind == "scale" else [])
    )
    for kind in KINDS
}
OTHER = "__other__"
SCALES = {(1, 5), (0, 10)}


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    required: bool = False
    options: tuple = ()
    allow_other: bool = False
    scale_min: int = 1
    scale_max: int = 5


@dataclass
class Checked:
    """The cleaned value of one answer, or the reason it was refused (a message key and its numbers)."""

    value: object = None
    other: str = ""
    problem: str | None = None
    numbers: dict = field(default_factory=dict)

    @property
    def empty(self):
        return self.value in (None, "", [], ()) and not self.other


def _text(raw, limit, spec):
    text = (raw if isinstance(raw, str) else "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        return Checked(problem="too_long", numbers={"max": limit, "length": len(text)})
    return Checked(value=text)


def _as_list(raw):
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return [str(item) for item in raw]
    return [str(raw)]


def check_answer(spec, raw, other_text=""):
    """Clean one answer; `raw` is a string, a list of strings, or None."""
    if spec.kind == "short_text":
        checked = _text(raw, SHORT_TEXT_MAX, spec)
    elif spec.kind == "long_text":
        checked = _text(raw, LONG_TEXT_MAX, spec)
    elif spec.kind in ("single_choice", "yes_no"):
        options = ("yes", "no") if spec.kind == "yes_no" else spec.options
        values = [v for v in _as_list(raw) if v != ""]
        if len(values) > 1:
            checked = Checked(problem="one_choice")
        elif not values:
            checked = Checked(value=None)
        elif values[0] == OTHER and spec.allow_other:
            checked = _other(other_text)
        elif values[0] in options:
            checked = Checked(value=values[0])
        else:
            checked = Checked(problem="not_offered")
    elif spec.kind == "multiple_choice":
        values = [v for v in _as_list(raw) if v != ""]
        chosen, other = [], ""
        checked = None
        for value in values:
            if value == OTHER and spec.allow_other:
                result = _other(other_text)
                if result.problem:
                    checked = result
                    break
                other = result.other
            elif value in spec.options:
                if value not in chosen:
                    chosen.append(value)
            else:
                checked = Checked(problem="not_offered")
                break
        checked = checked or Checked(value=chosen, other=other)
    elif spec.kind == "scale":
        values = [v for v in _as_list(raw) if v != ""]
        if not values:
            checked = Checked(value=None)
        else:
            try:
                number = int(values[0])
            except ValueError:
                number = None
            if number is None or not spec.scale_min <= number <= spec.scale_max or len(values) > 1:
                checked = Checked(problem="out_of_range", numbers={"min": spec.scale_min, "max": spec.scale_max})
            else:
                checked = Checked(value=number)
    elif spec.kind == "ranking":
        values = [v for v in _as_list(raw) if v != ""]
        if not values:
            checked = Checked(value=None)
        elif sorted(values) != sorted(spec.options) or len(set(values)) != len(values):
            checked = Checked(problem="rank_all", numbers={"n": len(spec.options)})
        else:
            checked = Checked(value=values)
    else:
        raise ValueError(f"unknown question kind {spec.kind!r}")
    if checked.problem is None and spec.required and checked.empty:
        return Checked(problem="required")
    return checked


def _other(other_text):
    text = (other_text or "").strip()
    if not text:
        return Checked(problem="other_empty")
    if len(text) > OTHER_TEXT_MAX:
        return Checked(problem="too_long", numbers={"max": OTHER_TEXT_MAX, "length": len(text)})
    return Checked(value=OTHER, other=text)


def ranking_from_positions(options, positions):
    """A ranking typed as a position per option ({"Buses": "2", "Bikes": "1"}) -> options in order,
    or the raw positions if they are not a complete ranking (check_answer then refuses it)."""
    try:
        numbered = sorted((int(positions[option]), option) for option in options if positions.get(option))
    except (ValueError, TypeError):
        return ["?"]
    ranks = [rank for rank, _option in numbered]
    if not numbered:
        return []
    if ranks != list(range(1, len(options) + 1)):
        return ["?"]
    return [option for _rank, option in numbered]


def check_options(kind, options):
    """Options an official typed for a choice question: trimmed, unique, two to thirty of them."""
    cleaned = []
    for option in options:
        option = " ".join((option or "").split())
        if option and option not in cleaned:
            cleaned.append(option)
    if kind in CHOICE_KINDS and not 2 <= len(cleaned) <= 30:
        return None
    if any(len(option) > 200 or option == OTHER for option in cleaned):
        return None
    return cleaned if kind in CHOICE_KINDS else []
