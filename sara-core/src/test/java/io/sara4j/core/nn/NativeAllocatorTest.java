package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** {@link NativeAllocator} tunes glibc once, at engine start, unless the user chose otherwise. */
class NativeAllocatorTest {
    @Test
    void theEngineStartTunesGlibcUnlessTheUserChoseOtherwise() {
        Engines.pytorch();
        String state = NativeAllocator.describe();
        assumeTrue(state.startsWith("glibc"), "not glibc: " + state);
        boolean userChose = System.getenv("MALLOC_MMAP_MAX_") != null || System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                || "system".equals(System.getProperty("sara.allocator", System.getenv("SARA_ALLOCATOR")));
        if (userChose) {
            assertThat(state).doesNotContain("tuned:");
        } else {
            assertThat(state).matches("glibc [0-9.]+, tuned: mmap off, trim threshold 2047 MiB, (one arena|arena per thread).*");
        }
    }

    @Test
    void tuningTwiceChangesNothing() {
        Engines.pytorch();
        String first = NativeAllocator.describe();
        assertThat(NativeAllocator.tune()).isEqualTo(first);
        assertThat(NativeAllocator.describe()).isEqualTo(first);
    }
}
