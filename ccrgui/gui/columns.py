"""Column widths that fit a table into its pane: content widths, the widest narrowed to a common
cap when they do not all fit (those cells elide; their tooltips hold the whole text)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

MIN_WIDTH = 40


def fit_widths(want: Mapping[int, int], available: int, keep: Collection[int] = ()) -> dict[int, int]:
    """`want` (column -> content width) narrowed so the sum is at most `available` where it can
    be: columns in `keep` keep their width; the others share one cap, as large as fits."""
    fixed = sum(w for c, w in want.items() if c in keep)
    rest = [w for c, w in want.items() if c not in keep]
    if not rest or fixed + sum(rest) <= available:
        return dict(want)
    low, high = MIN_WIDTH, max(rest)
    while low < high:  # the largest cap at which the columns fit
        mid = (low + high + 1) // 2
        if fixed + sum(min(w, mid) for w in rest) <= available:
            low = mid
        else:
            high = mid - 1
    return {c: w if c in keep else min(w, low) for c, w in want.items()}


__all__ = ["fit_widths"]
