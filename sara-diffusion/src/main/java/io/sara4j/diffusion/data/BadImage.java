package io.sara4j.diffusion.data;

import java.nio.file.Path;
import java.util.List;

/**
 * An image of the metadata that cannot be trained on, and why: missing, not an image, larger than
 * the pixel cap, or damaged. {@link ImageCaptionDataset#open} finds them all before training;
 * {@link #toString()} is the line the user reads, e.g.
 * {@code metadata.jsonl line 9: 0008.png: cannot decode image: Error reading PNG image data}.
 *
 * @param line 1-based line of {@code metadata.jsonl} naming the image
 * @param fileName the image path as written in the metadata
 * @param file the image path resolved inside the folder
 * @param reason what is wrong, without the line and file name
 */
public record BadImage(int line, String fileName, Path file, String reason) {

    /** {@code metadata.jsonl line <line>: <fileName>: <reason>}. */
    @Override
    public String toString() {
        return MetadataJsonl.FILE_NAME + " line " + line + ": " + fileName + ": " + reason;
    }

    /** {@code headline} followed by one indented line per bad image, every one of them. */
    static String list(String headline, List<BadImage> bad) {
        StringBuilder text = new StringBuilder(headline);
        for (BadImage image : bad) {
            text.append("\n  ").append(image);
        }
        return text.toString();
    }
}
