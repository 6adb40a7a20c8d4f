"""Training, export and evaluation of the cnn-lens CNN (Keras 3 on TensorFlow).

`evaluate` runs through ONNX Runtime and the app's loader, so it needs no
TensorFlow; `train` and `export` do.
"""

import importlib.util

# Packages of the `train` extra, by import name.
TRAINING_PACKAGES = ("tensorflow", "keras", "tf2onnx", "onnx", "matplotlib")


def missing_packages(names: tuple[str, ...] = TRAINING_PACKAGES) -> str | None:
    """Return an error message naming the packages of `names` that are not installed, or None."""
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"missing package(s): {', '.join(missing)}; install the training extra with: "
        "pip install -e '.[train]'"
    )
