#!/usr/bin/env python3
"""Checks ONNX files with ONNX's own checker (Debian's python3-onnx) and prints what they declare.

    /usr/bin/python3 bench/onnx_check.py model.onnx [more.onnx ...]

For each file: onnx.checker.check_model(full_check=True) (the graph is well formed and every
node's shapes infer for the declared opset), then the IR version, opset, inputs and outputs with
their shapes, the node and initializer counts and the metadata. Exits 1 on the first failure.
"""
import sys

import onnx


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


def main():
    for path in sys.argv[1:]:
        model = onnx.load(path)
        try:
            onnx.checker.check_model(model, full_check=True)
        except onnx.checker.ValidationError as e:
            print(f"{path}: INVALID: {e}")
            sys.exit(1)
        graph = model.graph
        opset = ",".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
        print(f"{path}: valid; IR {model.ir_version}, opset {opset}; "
              f"inputs {[(i.name, dims(i)) for i in graph.input]}, outputs {[(o.name, dims(o)) for o in graph.output]}; "
              f"{len(graph.node)} nodes, {len(graph.initializer)} initializers; "
              f"metadata {dict((p.key, p.value) for p in model.metadata_props if p.key in ('model', 'spec_file', 'input'))}")


if __name__ == "__main__":
    main()
