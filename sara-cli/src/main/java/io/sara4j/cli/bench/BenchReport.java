package io.sara4j.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;

/**
 * Everything one {@code sara bench} run produced, as written to {@code bench.json}: how it was run
 * and on what, each configuration's raw measurement, and the comparisons derived from them.
 *
 * @param command the command line as typed
 * @param date when the run started (ISO-8601, UTC)
 * @param machine the machine
 * @param loadBefore load averages (1, 5, 15 min) when the run started
 * @param loadAfter load averages when it ended
 * @param model where the UNet came from
 * @param parameters the UNet's parameter count
 * @param latentSize latent side
 * @param saraFraction the fraction of the weights SaRA and masked-dense trained
 * @param gradientCheckpointing whether the UNet's blocks recomputed their activations in backward
 * @param steps measured steps per configuration
 * @param warmup unmeasured steps before them
 * @param threads libtorch intra-op threads (0: libtorch's default)
 * @param seed seed of weights, inputs and timesteps
 * @param results one per (batch size, method), in run order
 * @param comparisons one per completed result
 */
public record BenchReport(String command, String date, MachineInfo machine, String loadBefore, String loadAfter,
        String model, long parameters, int latentSize, double saraFraction, boolean gradientCheckpointing, int steps, int warmup, int threads, long seed,
        List<BenchResult> results, List<BenchComparison> comparisons) {

    /** The report as indented JSON. */
    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the bench report as JSON", e);
        }
    }
}
