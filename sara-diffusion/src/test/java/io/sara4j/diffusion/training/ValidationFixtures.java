package io.sara4j.diffusion.training;

import ai.djl.ndarray.NDArray;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Held-out images and weight edits shared by the validation tests. */
final class ValidationFixtures {
    private ValidationFixtures() {}

    /** {@code count} 16-pixel striped shapes with captions, in {@code folder}. */
    static ImageCaptionDataset shapes(Path folder, int count) throws IOException {
        ShapesDataset.generate(folder, List.of(Style.STRIPES), count, 1, ShapesOptions.builder().optImageSize(16).build());
        return ImageCaptionDataset.open(folder,
                DatasetOptions.builder().setResolution(16).optCaptionPrefix("stripes style, ").build());
    }

    /** Adds {@code delta} in place to the UNet's output convolution weight (as a training step would change it). */
    static void nudge(StableDiffusionPipeline pipeline, float delta) {
        NDArray weight = pipeline.unet().stateDict().get("conv_out.weight");
        weight.addi(delta);
    }
}
