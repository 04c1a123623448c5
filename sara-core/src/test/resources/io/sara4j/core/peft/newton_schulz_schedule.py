"""Designs NewtonSchulz.FAST_SCHEDULE (sara4j): the greedy minimax odd-quintic schedule of
Polar Express (Amsel, Persson, Musco & Musco, 2025, Alg. 1) for singular values in [5e-6, 1].

Step k picks p(x) = a x + b x^3 + c x^5 minimising max |1 - p(x)| over the interval [l_k, u_k]
that the previous steps leave (a linear programme on a dense grid), then the next interval is
p's range on it. Every step but the last is divided by 1.01, 1.01^3, 1.01^5 (p(x/1.01)): Polar
Express's safety factor, so that inputs rounded a little above 1 stay in the region of
convergence. Prints the Java rows. Needs numpy and scipy; run: python3 newton_schulz_schedule.py
"""
import numpy as np
from scipy.optimize import linprog

LOWER, STEPS, SAFETY = 5e-6, 10, 1.01


def grid(lo, hi, n=2000):
    return np.concatenate([np.geomspace(lo, hi, n), np.linspace(lo, hi, n)])


def minimax(lo, hi):
    xs = grid(lo, hi)
    rows = np.stack([xs, xs**3, xs**5], axis=1)
    ones = np.ones((len(xs), 1))
    # variables a, b, c, t: minimise t subject to p(x) - t <= 1 and -p(x) - t <= -1
    a_ub = np.vstack([np.hstack([rows, -ones]), np.hstack([-rows, -ones])])
    b_ub = np.concatenate([np.ones(len(xs)), -np.ones(len(xs))])
    res = linprog([0, 0, 0, 1], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * 3 + [(0, None)], method="highs")
    return res.x[:3]


def p(x, c):
    x2 = x * x
    return x * (c[0] + c[1] * x2 + c[2] * x2 * x2)


lo, hi = LOWER, 1.0
for k in range(STEPS):
    a, b, c = minimax(lo, hi)
    if k < STEPS - 1:
        a, b, c = a / SAFETY, b / SAFETY**3, c / SAFETY**5
    ys = p(grid(lo, hi, 20000), (a, b, c))
    lo, hi = ys.min(), ys.max()
    print("        {%r, %r, %r}, // [%.3g, %.6f]" % (float(a), float(b), float(c), lo, hi))
