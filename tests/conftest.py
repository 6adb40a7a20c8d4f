"""Shared fixtures: the real photo set, the shipped model, a tiny trained run.

Photos are read from the folder named by the environment variable
CNN_LENS_DATA, by default `../shared/data/cats-vs-dogs` beside the repository.
Network connections are blocked for every test: the app and training work
offline.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CNN_LENS_DATA", REPO_ROOT.parent / "shared" / "data" / "cats-vs-dogs"))


def _missing_data_message() -> str | None:
    if (DATA_DIR / "validation" / "cat").is_dir():
        return None
    return (
        f"photo set not found at {DATA_DIR}; set CNN_LENS_DATA to a folder with "
        "train/ and validation/ sub-folders of cat/ and dog/ photos"
    )


def pytest_sessionstart(session):
    # Most tests need the photos, so the run stops before any test with one
    # clear message. Without this, 168 fixture errors were followed by a
    # segmentation fault at exit (PySide6 6.10.3, Python 3.11).
    message = _missing_data_message()
    if message:
        pytest.exit(message, returncode=2)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any attempt to open an internet connection (Unix sockets stay allowed)."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"network access is blocked in tests (tried to connect to {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real cats-vs-dogs photos (train/ and validation/, cat/ and dog/)."""
    message = _missing_data_message()
    if message:
        pytest.fail(message)
    return DATA_DIR


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The model shipped in models/."""
    from desktop import DEFAULT_MODEL_PATH

    return DEFAULT_MODEL_PATH


@pytest.fixture(scope="session")
def photo_paths(data_dir) -> dict[str, list[Path]]:
    """The first validation photos of each class, sorted by name."""
    return {
        label: sorted((data_dir / "validation" / label).glob("*.jpg"))[:8]
        for label in ("cat", "dog")
    }


def copy_photos(data_dir: Path, target: Path, per_class: int, split: str = "train", offset: int = 0) -> Path:
    """Copy `per_class` real photos of each class into `target/<label>/`."""
    for label in ("cat", "dog"):
        folder = target / label
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted((data_dir / split / label).glob("*.jpg"))[offset:offset + per_class]:
            shutil.copy(path, folder / path.name)
    return target


@pytest.fixture(scope="session")
def tiny_run(data_dir, tmp_path_factory) -> Path:
    """A run of the tutorial CNN trained for one epoch on 24 real photos at 64x64."""
    from training.train import main as train_main

    root = tmp_path_factory.mktemp("tiny")
    copy_photos(data_dir, root / "data" / "train", per_class=16)
    copy_photos(data_dir, root / "data" / "validation", per_class=4, split="validation")
    run_dir = root / "run"
    status = train_main([
        "--data", str(root / "data"), "--epochs", "1", "--image-size", "64",
        "--batch-size", "8", "--seed", "3", "--architecture", "tutorial",
        "--output", str(run_dir), "--no-cache",
    ])
    assert status == 0
    return run_dir


@pytest.fixture(scope="session")
def tiny_model(tiny_run, tmp_path_factory) -> Path:
    """The tiny run exported to ONNX, without test-time flip."""
    from training.export import export_run

    return export_run(tiny_run, tmp_path_factory.mktemp("tiny-model") / "tiny.onnx", test_time_flip=False)
