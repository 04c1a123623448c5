package io.sara4j.diffusion.loading;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds folders the repository ships under {@code models/} (the evaluation classifier, the base
 * model): under the directory named by the system property {@value #HOME_PROPERTY} when set (the
 * {@code sara} launcher sets it to the repository root), else under the working directory or the
 * nearest of its parents that has one.
 */
public final class BundledFolders {
    /** The system property naming the repository root (the {@code sara} launcher sets it). */
    public static final String HOME_PROPERTY = "sara.home";

    private BundledFolders() {}

    /**
     * The first candidate folder {@code relative} that holds the file {@code marker}.
     *
     * @param what what the folder is, for the error ("the shipped shapes classifier")
     * @throws IllegalArgumentException when none is found, saying where it looked
     */
    public static Path find(Path relative, String marker, String what) {
        List<Path> tried = new ArrayList<>();
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            tried.add(Path.of(home).resolve(relative));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            tried.add(dir.resolve(relative));
        }
        for (Path candidate : tried) {
            if (Files.isRegularFile(candidate.resolve(marker))) {
                return candidate;
            }
        }
        throw new IllegalArgumentException(what + " (" + relative + ") was not found in " + tried.get(0)
                + (tried.size() > 1 ? " or the working directory's parents" : "")
                + "; pass its folder explicitly or set -D" + HOME_PROPERTY + "=<repository root>");
    }
}
