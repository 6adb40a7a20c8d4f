"""Training, export and evaluation of the cnn-lens CNN (Keras 3 on TensorFlow).

`evaluate` runs through ONNX Runtime and the app's loader, so it needs no
TensorFlow; `train` and `export` do.
"""
