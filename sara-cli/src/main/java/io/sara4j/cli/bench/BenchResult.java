package io.sara4j.cli.bench;

/**
 * What one child JVM measured for one method at one batch size, or why it failed. Memory is in
 * MiB of resident memory as the OS counts it; times in seconds of wall clock per step.
 *
 * @param method the {@link BenchMethod#id()}
 * @param batch examples per step
 * @param error {@code null} when the run completed; otherwise what went wrong (the other fields are then 0 or null)
 * @param parameters the UNet's parameter count
 * @param trainable values the optimizer updates (0 for frozen)
 * @param stateBytes the tuner's {@code stateBytes()} after the last step (0 for frozen)
 * @param warmupSteps steps run before measuring
 * @param peakRssMiB the child's peak resident memory over its whole life ({@code VmHWM} at the end)
 * @param rssFirstMiB resident memory right after the first measured step
 * @param rssEndMiB resident memory after the last step
 * @param step whole step: inputs, forward, backward, update and freeing the step's arrays
 * @param forward the forward pass up to the loss
 * @param backwardUpdate backward, regularizers, the optimizer update and freeing the step's arrays
 * @param firstLoss loss of the first measured step
 * @param lastLoss loss of the last step
 * @param stepSeconds every measured step's time, in order
 * @param allocator how the C allocator was set in the child
 */
public record BenchResult(
        String method,
        int batch,
        String error,
        long parameters,
        long trainable,
        long stateBytes,
        int warmupSteps,
        double peakRssMiB,
        double rssFirstMiB,
        double rssEndMiB,
        Spread step,
        Spread forward,
        Spread backwardUpdate,
        Double firstLoss,
        Double lastLoss,
        double[] stepSeconds,
        String allocator) {

    /** A run that did not complete. */
    public static BenchResult failed(String method, int batch, String error) {
        return new BenchResult(method, batch, error, 0, 0, 0, 0, 0, 0, 0, null, null, null, null, null,
                new double[0], null);
    }

    /** Whether the run completed. */
    public boolean ok() {
        return error == null;
    }
}
