"""The training loop behind `python -m training.train`: data, model, fit, save."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from training.data import (
    DecodedSet,
    class_balance_message,
    class_labels,
    find_splits,
    load_split,
    split_holdout,
)

logger = logging.getLogger("training")

MODEL_FILE = "model.keras"
SETTINGS_FILE = "run.json"
HISTORY_FILE = "history.json"
LABELS_FILE = "labels.json"
BACKUP_DIR = "backup"


@dataclass
class RunSettings:
    """Everything that defines a training run; stored as `run.json` so it can resume."""

    data: str
    epochs: int
    image_size: int
    batch_size: int
    seed: int
    architecture: str
    validation_split: float
    run_dir: str
    cache_dir: str | None
    command: str
    machine: str
    patience: int = 0
    mixup: float = 0.0

    @classmethod
    def read(cls, run_dir: Path) -> "RunSettings":
        path = Path(run_dir) / SETTINGS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no {SETTINGS_FILE} in {run_dir}; is it a run folder made by training.train?")
        fields = {f.name for f in dataclasses.fields(cls)}
        stored = json.loads(path.read_text())
        return cls(**{key: value for key, value in stored.items() if key in fields})

    def write(self) -> None:
        (Path(self.run_dir) / SETTINGS_FILE).write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")


def load_data(settings: RunSettings) -> tuple[DecodedSet, DecodedSet]:
    """Decode the training and validation photos of a run."""
    size = (settings.image_size, settings.image_size)
    cache_dir = Path(settings.cache_dir) if settings.cache_dir else None
    train_dir, validation_dir = find_splits(settings.data)
    labels = class_labels(train_dir)

    train_set = load_split(train_dir, labels, size, cache_dir)
    if validation_dir is not None:
        validation_set = load_split(validation_dir, labels, size, cache_dir)
    else:
        train_set, validation_set = split_holdout(train_set, settings.validation_split, settings.seed)
        logger.info("No validation/ folder: held out %d of %d photos", len(validation_set), len(train_set) + len(validation_set))

    logger.info(
        "Classes %s; %d training and %d validation photos",
        labels, len(train_set), len(validation_set),
    )
    warning = class_balance_message(train_set)
    if warning:
        logger.warning(warning)
    return train_set, validation_set


def make_dataset(decoded: DecodedSet, batch_size: int, shuffle: bool, seed: int, mixup: float = 0.0):
    """Build a tf.data pipeline of (float32 images 0-255, targets) batches.

    Targets are a column of 0/1 floats for two classes and one-hot rows for
    more. With `mixup` above 0, each photo of a batch is blended with another
    photo of the same batch, and their targets alike, in proportions drawn
    from Beta(mixup, mixup).
    """
    import tensorflow as tf

    targets = decoded.targets
    if len(decoded.labels) == 2:
        targets = targets.astype(np.float32)[:, np.newaxis]
    else:
        targets = np.eye(len(decoded.labels), dtype=np.float32)[targets]
    dataset = tf.data.Dataset.from_tensor_slices((decoded.images, targets))
    if shuffle:
        dataset = dataset.shuffle(len(decoded), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(lambda images, labels: (tf.cast(images, tf.float32), labels))
    if mixup > 0:
        # One random seed per batch, different in every epoch, the same in every run.
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(
            lambda batch, pair: _mix_batch(*batch, pair, mixup)
        )
    # With AUTOTUNE for the map and the prefetch (tensorflow 2.21), deleting
    # each epoch's iterator blocked on tf.data's background threads. About
    # half of the compact preset's epochs then sat idle for 16 s after their
    # last step, so 22 s epochs took 40 s. A cast needs no threads or tuning.
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(2).with_options(options)


def _mix_batch(images, labels, seed, concentration: float):
    """Blend each photo and target of a batch with a partner from the same batch."""
    import tensorflow as tf

    shuffle_seed, first_seed, second_seed = tf.unstack(tf.random.split(seed, 3))
    count = tf.shape(images)[0]
    partner = tf.random.experimental.stateless_shuffle(tf.range(count), seed=shuffle_seed)
    # Beta(a, a) as the ratio of two Gamma(a) draws.
    first = tf.random.stateless_gamma([count], seed=first_seed, alpha=concentration)
    second = tf.random.stateless_gamma([count], seed=second_seed, alpha=concentration)
    weight = first / (first + second)
    image_weight = tf.reshape(weight, [-1, 1, 1, 1])
    label_weight = tf.reshape(weight, [-1, 1])
    images = image_weight * images + (1.0 - image_weight) * tf.gather(images, partner)
    labels = label_weight * labels + (1.0 - label_weight) * tf.gather(labels, partner)
    return images, labels


def _epoch_timer():
    """A callback that adds `epoch_seconds` to each epoch's logs, so the CSV log records it."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["epoch_seconds"] = time.perf_counter() - self.started

    return EpochTimer()


def train(settings: RunSettings, resume: bool = False) -> Path:
    """Train the model a run describes and save it in the run folder.

    With `resume`, training continues from the backup Keras wrote at the end
    of the last finished epoch.
    """
    import keras
    import tensorflow as tf

    from training.architectures import build_model
    from training.report import write_run_report

    run_dir = Path(settings.run_dir)
    if not resume and run_dir.exists() and any(run_dir.iterdir()):
        raise ValueError(f"run folder {run_dir} already exists and is not empty; choose another --output")
    if resume and not (run_dir / BACKUP_DIR).is_dir():
        raise FileNotFoundError(f"{run_dir} has no {BACKUP_DIR}/ folder to resume from")

    train_set, validation_set = load_data(settings)
    labels = train_set.labels

    run_dir.mkdir(parents=True, exist_ok=True)
    settings.write()
    (run_dir / LABELS_FILE).write_text(json.dumps(labels) + "\n")

    # Same seed, same machine, same result: seeds Python, NumPy and TensorFlow,
    # and makes TensorFlow pick deterministic kernels.
    keras.utils.set_random_seed(settings.seed)
    tf.config.experimental.enable_op_determinism()
    size = (settings.image_size, settings.image_size)
    steps = -(-len(train_set) // settings.batch_size)
    model = build_model(
        settings.architecture, size, len(labels), seed=settings.seed,
        steps_per_epoch=steps, epochs=settings.epochs,
    )
    model.summary(print_fn=logger.info)
    if settings.mixup > 0:
        logger.info("Mixup: blending pairs of training photos in proportions drawn from Beta(%g, %g)", settings.mixup, settings.mixup)

    callbacks = [
        _epoch_timer(),
        # Saves the weights, optimizer state and epoch after every epoch, and
        # restores them when fit() starts again in the same folder.
        keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR), delete_checkpoint=False),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=resume),
    ]
    if settings.patience > 0:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=settings.patience, restore_best_weights=True, verbose=1
            )
        )

    started = time.perf_counter()
    model.fit(
        make_dataset(train_set, settings.batch_size, shuffle=True, seed=settings.seed, mixup=settings.mixup),
        validation_data=make_dataset(validation_set, settings.batch_size, shuffle=False, seed=settings.seed),
        epochs=settings.epochs,
        callbacks=callbacks,
        shuffle=False,  # the dataset reshuffles itself every epoch
        verbose=2,
    )
    seconds = time.perf_counter() - started

    model.save(run_dir / MODEL_FILE)
    epochs = _read_history_csv(run_dir / "history.csv")
    previous = json.loads((run_dir / HISTORY_FILE).read_text()) if resume and (run_dir / HISTORY_FILE).is_file() else {}
    record = {
        "history": epochs,
        "training_seconds": previous.get("training_seconds", 0.0) + seconds,
        "epochs_run": len(epochs.get("loss", [])),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parameters": int(model.count_params()),
    }
    (run_dir / HISTORY_FILE).write_text(json.dumps(record, indent=2) + "\n")
    write_run_report(run_dir, model, validation_set, settings, record)
    return run_dir


def _read_history_csv(path: Path) -> dict[str, list[float]]:
    # The CSV log spans every epoch, including those before a resume, which
    # the History object returned by fit() does not.
    import csv

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {}) if key != "epoch"}
