"""Per-question results of a questionnaire, from plain answer values."""

from collections import Counter
from datetime import timedelta
from statistics import mean, median

OTHER = "__other__"


def summarise(kind, values, *, options=(), scale=(1, 5)):
    """values: the stored answer values of one question (None for unanswered)."""
    answered = [v for v in values if v not in (None, "", [])]
    result = {"kind": kind, "answered": len(answered), "skipped": len(values) - len(answered)}
    if kind in ("single_choice", "yes_no"):
        labels = ("yes", "no") if kind == "yes_no" else tuple(options)
        counts = Counter(answered)
        rows = [(label, counts.get(label, 0)) for label in labels]
        if counts.get(OTHER):
            rows.append((OTHER, counts[OTHER]))
        result["rows"] = _with_shares(rows, len(answered))
    elif kind == "multiple_choice":
        counts = Counter(item for value in answered for item in value)
        rows = [(label, counts.get(label, 0)) for label in options]
        if counts.get(OTHER):
            rows.append((OTHER, counts[OTHER]))
        result["rows"] = _with_shares(rows, len(answered))  # shares of respondents; may add up past 100%
    elif kind == "scale":
        numbers = [int(v) for v in answered]
        counts = Counter(numbers)
        result["rows"] = _with_shares([(n, counts.get(n, 0)) for n in range(scale[0], scale[1] + 1)], len(numbers))
        result["mean"] = round(mean(numbers), 2) if numbers else None
        result["median"] = median(numbers) if numbers else None
    elif kind == "ranking":
        positions = {option: [] for option in options}
        for ranking in answered:
            for place, option in enumerate(ranking, start=1):
                if option in positions:
                    positions[option].append(place)
        rows = [(option, round(mean(places), 2) if places else None) for option, places in positions.items()]
        result["rows"] = sorted(rows, key=lambda row: (row[1] is None, row[1]))  # best average position first
    return result


def _with_shares(rows, total):
    return [(label, count, round(100 * count / total, 1) if total else 0.0) for label, count in rows]


def per_day(dates):
    """Counts per calendar day, oldest first, with empty days filled in."""
    counts = Counter(dates)
    if not counts:
        return []
    day, last, rows = min(counts), max(counts), []
    while day <= last:
        rows.append((day, counts.get(day, 0)))
        day += timedelta(days=1)
    return rows
