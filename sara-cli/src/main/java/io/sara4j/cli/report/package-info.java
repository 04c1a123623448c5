/**
 * Static HTML reports of runs ({@code sara demo}, {@code sara compare}): the page
 * ({@link io.sara4j.cli.report.HtmlReport}), loss-curve plots ({@link io.sara4j.diffusion.training.LossChart})
 * and sample strips ({@link io.sara4j.cli.report.SampleStrips}), all written atomically beside each other.
 */
package io.sara4j.cli.report;
