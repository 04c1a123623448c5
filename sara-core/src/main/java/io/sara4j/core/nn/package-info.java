/**
 * The neural-network layer: {@link io.sara4j.core.nn.Module} and {@link io.sara4j.core.nn.Parameter}
 * with PyTorch state-dict naming, and the layers the diffusion models are built from (mirroring
 * {@code torch.nn}: Linear, Conv2d, GroupNorm, LayerNorm, Embedding, activations, attention).
 *
 * <p>Each layer has a static functional twin ({@code Linear.linear(x, w, b)}) that blocks compose;
 * only this package and {@code io} call DJL operators for kernels.
 */
package io.sara4j.core.nn;
