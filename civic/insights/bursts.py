"""Bursts of activity: for each key (a network range, an email domain), the busiest time window.

Pure functions over plain values."""

from collections import defaultdict


def busiest_windows(events, window, min_count):
    """events: iterable of (key, datetime). For each key, the window of length `window` holding
    the most events; only keys whose busiest window holds at least `min_count`.
    Returns [{"key", "count", "start", "end", "total"}], busiest first."""
    times = defaultdict(list)
    for key, moment in events:
        times[key].append(moment)
    found = []
    for key, moments in times.items():
        if len(moments) < min_count:
            continue
        moments.sort()
        best, best_start, start = 0, 0, 0
        for end, moment in enumerate(moments):
            while moment - moments[start] > window:
                start += 1
            if end - start + 1 > best:
                best, best_start = end - start + 1, start
        if best >= min_count:
            found.append(
                {
                    "key": key,
                    "count": best,
                    "start": moments[best_start],
                    "end": moments[best_start + best - 1],
                    "total": len(moments),
                }
            )
    found.sort(key=lambda row: (-row["count"], str(row["key"])))
    return found
