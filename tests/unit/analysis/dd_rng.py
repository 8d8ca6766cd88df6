"""analysis/rng.h in Python, bit for bit: splitmix64 and what the C code draws
from it.  Used by gen_fixtures.py (samples the C tests regenerate from a seed)
and by tests/bench/stats/bench_stats.py (its replica of driftd's MMD subsample
and permutations); standard library only."""
import math

M64 = (1 << 64) - 1


class Rng:
    """struct dd_rng: one 64-bit state."""

    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        """dd_rng_next()."""
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self):
        """dd_rng_uniform(): [0, 1)."""
        return (self.next() >> 11) * 2.0 ** -53

    def below(self, n):
        """dd_rng_below(): [0, n)."""
        return (self.next() * n) >> 64

    def normal(self):
        """dd_rng_normal(): Box-Muller, the cosine half."""
        u1 = ((self.next() >> 11) + 1) * 2.0 ** -53
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)
