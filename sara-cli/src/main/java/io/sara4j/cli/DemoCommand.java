package io.sara4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sara demo}: the end-to-end run on the bundled model and data. The bundled model and the
 * training loop it needs are not part of this build yet, so for now it lists what the build offers.
 */
@Command(name = "demo", description = "Fine-tune the bundled tiny model on generated data, sample, report.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("The demo needs the bundled model and the training loop, which this build does not contain yet.");
        out.println("Commands available now:");
        out.flush();
        spec.parent().commandLine().usage(out);
        return 0;
    }
}
