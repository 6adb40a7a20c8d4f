"""cnn-lens desktop app: classify dropped photos with an exported ONNX CNN."""

from pathlib import Path

# The model shipped with the repository, used when no --model is given.
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "classifier.onnx"
