package io.sara4j.diffusion.data.shapes;

/**
 * The shapes of the benchmark, each defined as a set of points around a centre: a point at offset
 * (dx, dy) from the centre (y pointing down, as in the image) belongs to the shape of radius r when
 * the inequality below holds. Every shape fits the square |dx| ≤ r, |dy| ≤ r and touches all four
 * of its sides; none is rotated (a square turned 45° would be a diamond).
 *
 * <p>The tests use only + − × and comparisons, so with the generator's dyadic positions and radii
 * (multiples of 1/256 of the side) every pixel's membership is decided exactly.
 */
public enum ShapeKind {
    /** dx² + dy² ≤ r². */
    CIRCLE("circle") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            return dx * dx + dy * dy <= r * r;
        }
    },
    /** |dx| ≤ r and |dy| ≤ r. */
    SQUARE("square") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            return Math.abs(dx) <= r && Math.abs(dy) <= r;
        }
    },
    /** Apex up at (0, −r), base from (−r, r) to (r, r): dy ≤ r and 2|dx| ≤ dy + r. */
    TRIANGLE("triangle") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            return dy <= r && 2 * Math.abs(dx) <= dy + r;
        }
    },
    /** |dx| + |dy| ≤ r. */
    DIAMOND("diamond") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            return Math.abs(dx) + Math.abs(dy) <= r;
        }
    },
    /** A plus sign with arms a third of r wide on each side: (3|dx| ≤ r and |dy| ≤ r) or (3|dy| ≤ r and |dx| ≤ r). */
    CROSS("cross") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            double ax = Math.abs(dx);
            double ay = Math.abs(dy);
            return (3 * ax <= r && ay <= r) || (3 * ay <= r && ax <= r);
        }
    },
    /** An annulus from r/2 to r: r² ≥ dx² + dy² and 4(dx² + dy²) ≥ r². */
    RING("ring") {
        @Override
        public boolean contains(double dx, double dy, double r) {
            double d2 = dx * dx + dy * dy;
            return d2 <= r * r && 4 * d2 >= r * r;
        }
    };

    private final String label;

    ShapeKind(String label) {
        this.label = label;
    }

    /** The word used in captions and metadata. */
    public String label() {
        return label;
    }

    /** Whether the point at offset (dx, dy) from the centre lies in the shape of radius r (all in the same unit). */
    public abstract boolean contains(double dx, double dy, double r);
}
