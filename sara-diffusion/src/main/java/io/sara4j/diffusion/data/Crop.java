package io.sara4j.diffusion.data;

/** How the square training image is cut from the resized image (the reference script's {@code --center_crop}). */
public enum Crop {
    /**
     * The middle: offsets round((size − R) / 2) with Python's round-half-to-even, as torchvision's
     * {@code CenterCrop}.
     */
    CENTER,
    /**
     * A uniformly drawn position, as torchvision's {@code RandomCrop}: the reference script's
     * default (without {@code --center_crop}), and so the default here.
     */
    RANDOM
}
