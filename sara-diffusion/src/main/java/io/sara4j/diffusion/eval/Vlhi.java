package io.sara4j.diffusion.eval;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Visual-Linguistic Harmony Index of the SaRA paper (§5.1, Table 1): a method's fidelity and
 * text alignment, each normalised min–max over the methods compared on a dataset, added up.
 * <pre>
 * VLHI_i = (maxFID − FID_i)/(maxFID − minFID) + (CLIP_i − minCLIP)/(maxCLIP − minCLIP)     ∈ [0, 2]
 * </pre>
 * The best method on both measures scores 2, the worst on both 0. The index is relative: adding or
 * removing a method can change every other method's value. The paper reports the mean over its five
 * style datasets ({@link #mean}).
 *
 * <p><b>Ties.</b> When every method has the same FID (or the same CLIP score) the fraction is 0/0.
 * Here such a term is ½ for every method: a measure that does not separate the methods adds the
 * same amount to each, and ½ is what the term averages to when two methods approach a tie from
 * either side (one gets 1, the other 0). A single method therefore scores 1.
 */
public final class Vlhi {
    /** The value of a term whose measure ties across all methods. */
    public static final double TIE = 0.5;

    private Vlhi() {}

    /**
     * The VLHI of every method on one dataset, by method name, in the order given.
     *
     * @throws IllegalArgumentException if the list is empty or names a method twice
     */
    public static Map<String, Double> compute(List<MethodScores> methods) {
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("VLHI needs at least one method");
        }
        Set<String> names = new HashSet<>();
        double minFid = Double.POSITIVE_INFINITY;
        double maxFid = Double.NEGATIVE_INFINITY;
        double minClip = Double.POSITIVE_INFINITY;
        double maxClip = Double.NEGATIVE_INFINITY;
        for (MethodScores m : methods) {
            if (!names.add(m.method())) {
                throw new IllegalArgumentException("method '" + m.method() + "' is listed twice");
            }
            minFid = Math.min(minFid, m.fid());
            maxFid = Math.max(maxFid, m.fid());
            minClip = Math.min(minClip, m.clip());
            maxClip = Math.max(maxClip, m.clip());
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (MethodScores m : methods) {
            double fidTerm = maxFid == minFid ? TIE : (maxFid - m.fid()) / (maxFid - minFid);
            double clipTerm = maxClip == minClip ? TIE : (m.clip() - minClip) / (maxClip - minClip);
            out.put(m.method(), fidTerm + clipTerm);
        }
        return out;
    }

    /**
     * The paper's reported figure: per dataset the VLHI of each method ({@link #compute}), then the
     * mean over datasets. Every dataset must compare the same set of methods.
     *
     * @throws IllegalArgumentException if there are no datasets or their method sets differ
     */
    public static Map<String, Double> mean(List<List<MethodScores>> datasets) {
        if (datasets.isEmpty()) {
            throw new IllegalArgumentException("VLHI needs at least one dataset");
        }
        Map<String, Double> sum = new LinkedHashMap<>();
        for (int d = 0; d < datasets.size(); d++) {
            Map<String, Double> one = compute(datasets.get(d));
            if (d > 0 && !one.keySet().equals(sum.keySet())) {
                throw new IllegalArgumentException("dataset " + d + " compares " + one.keySet() + ", dataset 0 compares "
                        + sum.keySet() + ": every dataset must compare the same methods");
            }
            one.forEach((method, v) -> sum.merge(method, v, Double::sum));
        }
        sum.replaceAll((method, v) -> v / datasets.size());
        return sum;
    }
}
