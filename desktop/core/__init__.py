"""Pure logic of the app: image loading, the ONNX model wrapper and metrics.

Nothing in this package imports Qt or TensorFlow, so training and the
command-line tools can use it too.
"""
