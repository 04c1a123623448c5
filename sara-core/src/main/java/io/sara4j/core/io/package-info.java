/**
 * Reading and writing safetensors files (the weights of diffusers models and sara4j's adapter
 * files) and atomic file writes.
 *
 * <p>{@link io.sara4j.core.io.SafetensorsFile} validates a file's header when it is opened and
 * maps tensors from the file on demand, so files of any size load without passing through the Java
 * heap; {@link io.sara4j.core.io.SafetensorsWriter} writes the layout of the reference
 * implementation (huggingface/safetensors); {@link io.sara4j.core.io.AtomicFiles} makes every
 * output appear complete or not at all. The format and the checks are summarised in
 * {@code docs/safetensors.md}.
 */
package io.sara4j.core.io;
