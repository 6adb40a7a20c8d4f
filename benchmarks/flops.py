"""Count the multiply-adds of an ONNX classifier from the shapes of its tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Operators whose multiply-adds are counted. Element-wise operators, pooling
# and transposes add memory traffic but few arithmetic operations, and a
# compute bound ignores them.
COUNTED_OPERATORS = ("Conv", "MatMul", "Gemm")


@dataclass(frozen=True)
class OperatorCount:
    """Multiply-adds of one node for a batch of one."""

    name: str
    operator: str
    multiply_adds: int


def count_multiply_adds(model_path: Path, outputs: list[str] | None = None) -> list[OperatorCount]:
    """Count the multiply-adds of the Conv, MatMul and Gemm nodes that `outputs` need, for one image.

    A Conv node costs output elements x (input channels / groups) x kernel
    height x kernel width. A MatMul of (..., M, K) by (K, N) costs output
    elements x K, and a Gemm likewise. Nodes that none of `outputs` (default:
    every graph output) depends on are left out.

    The shapes come from running the graph once in ONNX Runtime on a batch of
    one blank image, with the counted nodes' tensors added as outputs. Shape
    inference alone leaves some dimensions unknown in exported graphs, for
    example after the Reshape nodes that tf2onnx builds from Shape, Gather
    and Concat.
    """
    import onnx
    import onnxruntime as ort
    from onnx import helper, shape_inference

    model = onnx.load(str(model_path))
    graph = model.graph
    requested = set(outputs) if outputs else {output.name for output in graph.output}
    counted = [node for node in _needed_nodes(graph, requested) if node.op_type in COUNTED_OPERATORS]

    known_shapes = {initializer.name: list(initializer.dims) for initializer in graph.initializer}
    probed = list(dict.fromkeys(
        name for node in counted for name in (node.input[0], node.input[1], node.output[0]) if name not in known_shapes
    ))

    # Extra graph outputs need an element type; shape inference gives it.
    inferred = shape_inference.infer_shapes(model)
    element_types = {
        value.name: value.type.tensor_type.elem_type
        for value in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output)
    }
    existing_outputs = {output.name for output in graph.output}
    for name in probed:
        if name not in existing_outputs:
            element_type = element_types.get(name) or onnx.TensorProto.FLOAT
            graph.output.append(helper.make_tensor_value_info(name, element_type, None))

    # Without graph optimizations every probed tensor keeps its name.
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {
        value.name: np.zeros([d if isinstance(d, int) else 1 for d in value.shape], dtype=np.float32)
        for value in session.get_inputs()
    }
    known_shapes.update((name, list(value.shape)) for name, value in zip(probed, session.run(probed, feeds)))

    counts = []
    for node in counted:
        output_elements = math.prod(known_shapes[node.output[0]])
        if node.op_type == "Conv":
            per_output = math.prod(known_shapes[node.input[1]][1:])  # (input channels / groups) x kernel area
        elif node.op_type == "MatMul":
            per_output = known_shapes[node.input[0]][-1]
        else:
            left = known_shapes[node.input[0]]
            transposed = any(attribute.name == "transA" and attribute.i for attribute in node.attribute)
            per_output = left[0] if transposed else left[1]
        counts.append(OperatorCount(node.name, node.op_type, output_elements * per_output))
    return counts


def _needed_nodes(graph, requested: set[str]) -> list:
    # NOTE: nodes inside the subgraphs of If and Loop are not visited; the
    # exported classifiers have none.
    producers = {name: node for node in graph.node for name in node.output}
    needed = []
    visited = set()
    pending = list(requested)
    while pending:
        node = producers.get(pending.pop())
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        needed.append(node)
        pending.extend(node.input)
    return needed
