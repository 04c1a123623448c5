package io.sara4j.cli.report;

import io.sara4j.diffusion.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Writes one row of a sample grid: images side by side in one PNG, separated by a thin border. */
public final class SampleStrips {
    private static final int GAP = 2;

    private SampleStrips() {}

    /**
     * Tiles {@code images} in one row into the PNG {@code relative} under {@code folder} (atomically,
     * creating its parent folders); returns {@code relative}, the link for a page in {@code folder}.
     */
    public static String write(List<BufferedImage> images, Path folder, String relative) throws IOException {
        Path png = folder.resolve(relative);
        java.nio.file.Files.createDirectories(png.getParent());
        Images.writePng(Images.grid(images, images.size(), GAP), png);
        return relative;
    }
}
