"""Performance benchmarks of cnn-lens: `python -m benchmarks [--quick] [--json PATH]`.

Each figure times the project's code and a baseline side by side in the same
run, alternating the two in rounds and taking medians, so a busy machine
slows both alike and the ratio between them stays meaningful. The figures:

1. `model`: ONNX Runtime time per photo, with every output, against the same
   architecture in Keras and against the bound set by the model's
   multiply-adds and this machine's float32 matrix-multiply rate.
2. `photo`: photo file to result with the project's loader, against a plain
   Pillow full-size decode, for the shared photos and a 12-megapixel JPEG.
3. `batch`: photos per second through the loader and batched inference,
   against `keras.utils.image_dataset_from_directory` and `Model.predict`.
4. `startup`: seconds from process start to the window shown, and to the
   first photo classified, against a bare PySide6 window.
5. `feature_maps`: time to render one photo's feature-map tiles.
6. `memory`: peak memory of the app classifying many photos against ten
   times fewer.

`--only` takes these names. Only `model` and `batch` import TensorFlow, so
the other figures run with the app's own dependencies. The photos are read from the folder named by the
environment variable CNN_LENS_DATA (default `../shared/data/cats-vs-dogs`
beside the repository) and are never written to.

`fuzz_loader` and `train_presets` in this package are separate scripts with
their own command lines; `python -m benchmarks` does not run them.
"""
