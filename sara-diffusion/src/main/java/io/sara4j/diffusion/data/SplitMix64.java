package io.sara4j.diffusion.data;

/**
 * The SplitMix64 generator (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014), written out here so that every random choice the data code makes
 * (shuffles, crops, flips, the shapes benchmark's jitter) is fixed by this file alone, whatever the
 * JVM or JDK version.
 *
 * <p>State s advances by the golden gamma γ = 0x9e3779b97f4a7c15; each output is
 * {@link #mix64(long) mix64}(s). Independent streams for a (seed, key) pair come from
 * {@link #forKey(long, long)}, so an epoch's shuffle or an image's crop can be drawn without
 * replaying everything drawn before it. Not thread-safe: use one instance per thread.
 */
public final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private long state;

    /** A stream whose first output is {@code mix64(seed + γ)}. */
    public SplitMix64(long seed) {
        this.state = seed;
    }

    /**
     * An independent stream for {@code key} under {@code seed}: seeded with
     * mix64(mix64(seed + γ) + key). The outer mix keeps the streams of neighbouring keys from
     * being shifted copies of one another.
     */
    public static SplitMix64 forKey(long seed, long key) {
        return new SplitMix64(mix64(mix64(seed + GOLDEN_GAMMA) + key));
    }

    /** The SplitMix64 finaliser (a bijection on 64-bit values with full avalanche). */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /**
     * A uniform value in [0, bound), without modulo bias: 31-bit draws r are rejected while
     * r − (r mod bound) + bound − 1 overflows (the rule of {@code java.util.Random.nextInt}).
     */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, found " + bound);
        }
        int bits = (int) (nextLong() >>> 33);
        int value = bits % bound;
        while (bits - value + (bound - 1) < 0) {
            bits = (int) (nextLong() >>> 33);
            value = bits % bound;
        }
        return value;
    }

    /** A uniform value in [lo, hi], both inclusive. */
    public int nextInt(int lo, int hi) {
        if (hi < lo || (long) hi - lo >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + "] is empty or wider than 2^31 − 1");
        }
        return lo + nextInt(hi - lo + 1);
    }

    /** A uniform value in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** A fair coin: the top bit of the next output. */
    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    /** A Fisher–Yates permutation of 0 … n−1 (i from n−1 down to 1 swaps with nextInt(i + 1)). */
    public int[] permutation(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
