"""Writes reference.safetensors with the reference implementation (huggingface/safetensors 0.8.0).

sara4j's tests read this file and check that SafetensorsWriter produces the same bytes for the same
tensors. Regenerate (offline, from a local wheel) with:
    python3 -m venv --system-site-packages venv && venv/bin/pip install --no-index safetensors-0.8.0-*.whl
    venv/bin/python make_reference.py
"""
import numpy as np
import safetensors
from safetensors import TensorSpec

base = (np.arange(12, dtype=np.float32) - 5.5).reshape(3, 4)  # -5.5 .. 5.5, exact in every float type
arrays = {
    "x.f64": base.astype(np.float64),
    "x.f32": base,
    "x.f16": base.astype(np.float16),
    "x.bf16": (base.view(np.uint32) >> 16).astype(np.uint16),  # exact: the values need <= 8 mantissa bits
    "x.i64": base.astype(np.int64),  # truncation toward zero: -5 .. 5
    "x.i32": base.astype(np.int32),
    "x.i16": base.astype(np.int16),
    "x.i8": base.astype(np.int8),
    "x.u8": np.abs(base).astype(np.uint8),
    "x.bool": base > 0,
    "scalar": np.array(2.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float16),
}
dtypes = {"x.bf16": "bfloat16"}
assert all(v.flags.c_contiguous for v in arrays.values())  # (ascontiguousarray would make the scalar 1-d)
specs = {
    k: TensorSpec(dtype=dtypes.get(k, str(v.dtype)), shape=list(v.shape), data_ptr=v.ctypes.data, data_len=v.nbytes)
    for k, v in arrays.items()
}
# One metadata key: the reference keeps metadata in a hash map, so several keys come out in no fixed order.
safetensors.serialize_file(specs, "reference.safetensors", metadata={"format": "pt"})
