"""Comment ranking: pure functions of up and down votes."""

import math

Z = 1.96  # 95% confidence


def wilson_lower_bound(up, down):
    """Lower bound of the Wilson score interval for the share of up votes ("best")."""
    n = up + down
    if n == 0:
        return 0.0
    phat = up / n
    z2 = Z * Z
    return (phat + z2 / (2 * n) - Z * math.sqrt((phat * (1 - phat) + z2 / (4 * n)) / n)) / (1 + z2 / n)


def controversy(up, down):
    """Many votes, evenly split, rank highest."""
    if up <= 0 or down <= 0:
        return 0.0
    magnitude = up + down
    balance = min(up, down) / max(up, down)
    return magnitude**balance
