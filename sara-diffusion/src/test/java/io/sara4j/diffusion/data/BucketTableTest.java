package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BucketTableTest {
    private final BucketTable table = BucketTable.of(512);

    @Test
    void tableAtFiveTwelveFollowsKohyasRule() {
        List<Bucket> buckets = table.buckets();
        assertThat(buckets).contains(new Bucket(512, 512), new Bucket(576, 448), new Bucket(640, 384),
                new Bucket(704, 320), new Bucket(768, 320), new Bucket(1024, 256), new Bucket(256, 1024),
                new Bucket(384, 640));
        assertThat(buckets).hasSize(17).doesNotHaveDuplicates();
        for (Bucket b : buckets) {
            assertThat(b.width() % 64).isZero();
            assertThat(b.height() % 64).isZero();
            assertThat((long) b.width() * b.height()).isLessThanOrEqualTo(512L * 512);
            assertThat(b.aspectRatio()).isBetween(0.25, 4.0);
            assertThat(Math.min(b.width(), b.height())).isGreaterThanOrEqualTo(256);
            assertThat(Math.max(b.width(), b.height())).isLessThanOrEqualTo(1024);
        }
        assertThat(buckets).extracting(Bucket::aspectRatio).isSorted();
    }

    @Test
    void tableScalesWithTheResolution() {
        BucketTable large = BucketTable.of(1024);
        assertThat(large.buckets()).contains(new Bucket(1024, 1024), new Bucket(512, 2048), new Bucket(2048, 512))
                .allSatisfy(b -> assertThat((long) b.width() * b.height()).isLessThanOrEqualTo(1024L * 1024));
        assertThat(BucketTable.of(64, 16).buckets()).contains(new Bucket(64, 64), new Bucket(32, 128),
                new Bucket(80, 48));
        assertThatThrownBy(() -> BucketTable.of(32)).hasMessageContaining("multiple of the bucket step 64");
    }

    @Test
    void imagesGoToTheNearestAspectRatio() {
        assertThat(table.bucketFor(512, 512)).isEqualTo(new Bucket(512, 512));
        assertThat(table.bucketFor(2000, 2000)).isEqualTo(new Bucket(512, 512));
        // 3:2 = 1.5: 640x384 (5:3) is nearer in log ratio than 576x448 (1.29)
        assertThat(table.bucketFor(768, 512)).isEqualTo(new Bucket(640, 384));
        assertThat(table.bucketFor(512, 768)).isEqualTo(new Bucket(384, 640));
        // 1:4 exactly, and beyond it: clamped to the 1:4 end
        assertThat(table.bucketFor(300, 1200)).isEqualTo(new Bucket(256, 1024));
        assertThat(table.bucketFor(100, 1000)).isEqualTo(new Bucket(256, 1024));
        assertThat(table.bucketFor(5000, 100)).isEqualTo(new Bucket(1024, 256));
    }

    @Test
    void describeCountsImagesPerBucket() {
        String text = table.describe(List.of(new Bucket(512, 512), new Bucket(640, 384), new Bucket(512, 512)));
        assertThat(text).isEqualTo("""
                bucket     aspect  images
                512x512      1.00       2
                640x384      1.67       1
                2 of 17 buckets used by 3 images (resolution 512, step 64)""");
        assertThatThrownBy(() -> table.describe(List.of(new Bucket(100, 100)))).hasMessageContaining("100x100");
    }
}
