"""The model panel: what the model in use is, where it came from and how it was trained."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from desktop.core import model_format as fmt
from desktop.ui.model_manager import ModelVersion

NOT_RECORDED = "not recorded"


def model_facts(model: ModelVersion) -> dict[str, str]:
    """Describe a model as (field name, text) pairs, in display order.

    Facts the file does not record, such as the training date of a model
    exported by an older version, read "not recorded".
    """
    classifier = model.classifier
    height, width = classifier.input_size
    training = classifier.training_info
    metadata = classifier.metadata

    parameters = metadata.get(fmt.META_PARAMETERS, "")
    accuracy = training.get("validation_accuracy")
    epochs = training.get("epochs")
    architecture = training.get("architecture") or metadata.get(fmt.META_ARCHITECTURE)
    threshold = classifier.novelty_threshold

    return {
        "File": str(model.path),
        "Modified": model.modified or NOT_RECORDED,
        "Labels": ", ".join(classifier.labels),
        "Input size": f"{width}×{height} pixels",
        "Parameters": f"{int(parameters):,}" if parameters.isdigit() else NOT_RECORDED,
        "Architecture": str(architecture) if architecture else NOT_RECORDED,
        "Validation accuracy": f"{accuracy:.1%}" if isinstance(accuracy, (int, float)) else NOT_RECORDED,
        "Trained": str(training.get("date") or NOT_RECORDED),
        "Epochs": str(epochs) if isinstance(epochs, int) else NOT_RECORDED,
        "Feature maps": ", ".join(classifier.feature_map_names) or "none",
        "Attribution maps": "yes" if classifier.has_attribution else "no (the model has no attribution output)",
        "Novelty check": (
            f"yes, flagged above {threshold:.2f}" if classifier.has_novelty and threshold is not None
            else "no (the model has no novelty output)"
        ),
        "Loaded": f"load {model.generation} of this session",
    }


class ModelPanel(QWidget):
    """A form of `model_facts`, updated when the model changes."""

    def __init__(self, model: ModelVersion, parent: QWidget | None = None):
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        self._layout = QFormLayout(self)
        self._layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.set_model(model)

    def set_model(self, model: ModelVersion) -> None:
        for name, text in model_facts(model).items():
            label = self.values.get(name)
            if label is None:
                label = QLabel()
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self._layout.addRow(f"{name}:", label)
                self.values[name] = label
            label.setText(text)

    def text(self, name: str) -> str:
        """Return the text shown for one field, such as "Labels"."""
        return self.values[name].text()
