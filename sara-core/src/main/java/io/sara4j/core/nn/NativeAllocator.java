package io.sara4j.core.nn;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tunes glibc's {@code malloc}, which libtorch's CPU allocator sits on, for tensor workloads.
 *
 * <p>glibc serves every request of 32 MB and more (its largest dynamic mmap threshold) with a fresh
 * {@code mmap} and gives it back with {@code munmap} when freed. A tensor op whose output is that
 * large therefore page-faults its whole output on every call: on AMD Zen 5 an element-wise op on a
 * (1, 8, 1024, 1024) float tensor (one self-attention score matrix of a 32×32-latent UNet) took
 * ~50 ms, four times a 1024² matrix product, and a UNet training step spent two thirds of its time
 * in the kernel's page-fault handler. PyTorch's own caching allocator avoids this on GPUs; on the
 * CPU libtorch relies on {@code malloc}.
 *
 * <p>{@link #tune()} calls {@code mallopt} (through JNA, in this process, so it works for library
 * users as well as for the {@code sara} launcher) to keep freed memory in the heap for reuse:
 * {@code M_MMAP_MAX = 0} (no request is served by its own mapping while the heap can grow) and
 * {@code M_TRIM_THRESHOLD = 2 GiB − 1} (free memory at the top of the heap is not returned to the
 * OS until that much is free). The peak resident size is then the peak of live tensors plus
 * fragmentation, and it stays flat over a long run (docs/engine.md has the measurements).
 *
 * <p>Requests of 64 MB and more are only covered when the process started with
 * {@code MALLOC_ARENA_MAX=1}, which the {@code sara} launcher sets (see {@link #describe()}).
 *
 * <p>It does nothing when the C library is not glibc, when the user set either variable
 * ({@code MALLOC_MMAP_MAX_}, {@code MALLOC_TRIM_THRESHOLD_}) in the environment, or when the
 * system property {@code sara.allocator} (or the environment variable {@code SARA_ALLOCATOR}) is
 * {@code system}.
 */
public final class NativeAllocator {
    private static final Logger LOG = LoggerFactory.getLogger(NativeAllocator.class);
    // glibc's <malloc.h> parameter numbers
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_MAX = -4;
    /** {@code mallopt} takes an int, so this is the largest trim threshold it can set. */
    private static final int TRIM_THRESHOLD = Integer.MAX_VALUE;

    private static String state = "not tuned yet";

    private NativeAllocator() {}

    /** Applies the tuning once per process (later calls do nothing) and returns {@link #describe()}. */
    public static synchronized String tune() {
        if (!state.equals("not tuned yet")) {
            return state;
        }
        String choice = System.getProperty("sara.allocator", System.getenv().getOrDefault("SARA_ALLOCATOR", "tuned"));
        if (!choice.equals("tuned") && !choice.equals("system")) {
            throw new IllegalArgumentException("sara.allocator / SARA_ALLOCATOR: unsupported value '" + choice
                    + "' (supported: tuned, system)");
        }
        String glibc = glibcVersion();
        if (glibc == null) {
            state = "system malloc (not glibc: left as it is)";
        } else if (choice.equals("system")) {
            state = "glibc " + glibc + ", left as it is (sara.allocator=system)";
        } else if (System.getenv("MALLOC_MMAP_MAX_") != null || System.getenv("MALLOC_TRIM_THRESHOLD_") != null) {
            state = "glibc " + glibc + ", set by the environment (MALLOC_MMAP_MAX_=" + System.getenv("MALLOC_MMAP_MAX_")
                    + ", MALLOC_TRIM_THRESHOLD_=" + System.getenv("MALLOC_TRIM_THRESHOLD_") + ")";
        } else {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            boolean ok = mallopt.invokeInt(new Object[] {M_MMAP_MAX, 0}) == 1
                    & mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD}) == 1;
            state = ok
                    ? String.format(Locale.ROOT, "glibc %s, tuned: mmap off, trim threshold %d MiB, %s", glibc,
                            TRIM_THRESHOLD >> 20, arenas())
                    : "glibc " + glibc + ", mallopt refused the tuning: left as it is";
            if (!ok) {
                LOG.warn("mallopt refused M_MMAP_MAX=0 / M_TRIM_THRESHOLD; large tensor ops may run at page-fault speed");
            }
        }
        return state;
    }

    /** One line saying what the allocator is and how it was set, for {@code sara info}. */
    public static synchronized String describe() {
        return state;
    }

    /**
     * Whether requests of 64 MB and more are covered too. glibc gives each thread but the process's
     * first its own arena, made of heaps of at most 64 MB, and serves a larger request there with a
     * fresh mmap whatever {@code M_MMAP_MAX} says; the JVM runs Java code on such threads. Only
     * {@code MALLOC_ARENA_MAX=1} in the environment at process start (the {@code sara} launcher sets
     * it) puts every thread on the main heap, and no call made later can.
     */
    private static String arenas() {
        return "1".equals(System.getenv("MALLOC_ARENA_MAX"))
                ? "one arena (MALLOC_ARENA_MAX=1): all sizes covered"
                : "arena per thread: requests of 64 MB and more still page-fault (set MALLOC_ARENA_MAX=1)";
    }

    /** glibc's version string, or {@code null} when the C library is not glibc. */
    private static String glibcVersion() {
        try {
            return NativeLibrary.getInstance("c").getFunction("gnu_get_libc_version").invokeString(new Object[0], false);
        } catch (UnsatisfiedLinkError notGlibc) {
            return null;
        }
    }
}
