"""The contract between the exported ONNX file and the code that runs it.

Export writes these names and metadata keys; the app and evaluation read
them. Keeping them in one module means the two sides cannot drift apart.
"""

from __future__ import annotations

# Version of the contract below, stored in the model's metadata.
FORMAT_NAME = "cnn-lens-classifier"
FORMAT_VERSION = 1

# Graph input: float32 images of shape (batch, height, width, 3), raw RGB
# values 0 to 255. Rescaling to [0, 1] happens inside the graph.
INPUT_NAME = "image"
BATCH_DIMENSION = "batch"

# Graph output: float32 (batch, n_classes), each row sums to 1. For two classes
# the model ends in one sigmoid unit p and the export emits [1 - p, p]; for more
# classes it ends in a softmax. Either way these are probabilities, not logits.
PROBABILITIES_OUTPUT = "probabilities"

# Optional outputs. `attribution`: float32 (batch, h, w, n_classes), signed
# class activation maps at the last conv block's resolution, in logit units.
# Positive values are evidence for the class. `novelty`: float32 (batch,), the
# Mahalanobis distance of the photo's conv-block statistics (per-channel mean
# and standard deviation of every block) from those of the training photos.
# Larger means less like anything seen in training.
ATTRIBUTION_OUTPUT = "attribution"
NOVELTY_OUTPUT = "novelty"

# Metadata keys (ONNX `metadata_props`, string values).
META_FORMAT = "format"
META_FORMAT_VERSION = "format_version"
META_LABELS = "labels"  # JSON list of class names, in output order
META_INPUT_SIZE = "input_size"  # JSON [height, width]
META_FEATURE_MAPS = "feature_maps"  # JSON list of output names, shallow to deep
META_ARCHITECTURE = "architecture"
META_PARAMETERS = "parameters"  # trainable and non-trainable weights, as a decimal string
META_TRAINING = "training"  # JSON object: accuracy, epochs, date, command, ...
META_ATTRIBUTION = "attribution"  # JSON object: output, method ("cam" or "grad-cam"), layer
META_NOVELTY = "novelty"  # JSON object: output, threshold, percentile, measure
META_TEST_TIME_FLIP = "test_time_flip"  # "true" when probabilities average the photo and its mirror image
META_TEST_TIME_SIZES = "test_time_sizes"  # JSON list of [height, width]: other sizes the probabilities average
