/**
 * Training data: the image-caption folders the SaRA reference training script reads, and the
 * shapes benchmark ({@link io.sara4j.diffusion.data.shapes}).
 *
 * <p>{@link io.sara4j.diffusion.data.ImageCaptionDataset} mirrors HuggingFace
 * {@code datasets}' {@code imagefolder} loader ({@code metadata.jsonl} with {@code file_name} and
 * {@code text}) together with the transform of diffusers'
 * {@code examples/text_to_image/train_text_to_image.py}, on which the reference script is built:
 * Pillow bilinear resize of the shorter side, center or random crop, optional horizontal flip,
 * then [−1, 1]. {@link io.sara4j.diffusion.data.BatchSampler} replaces the shuffling
 * {@code DataLoader}. {@code ImageCaptionDataset.open} checks every image (pixel cap, full decode)
 * before training and refuses or skips bad ones ({@link io.sara4j.diffusion.data.BadImage});
 * {@link io.sara4j.diffusion.data.BucketTable} and {@link io.sara4j.diffusion.data.BucketBatchSampler}
 * train on aspect-ratio buckets instead of square crops. All randomness comes from {@link io.sara4j.diffusion.data.SplitMix64}, so a
 * seed fixes the batches on every JVM.
 */
package io.sara4j.diffusion.data;
