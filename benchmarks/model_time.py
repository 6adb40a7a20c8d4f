"""Figure 1: model time per photo, ONNX Runtime against Keras and the compute bound."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.context import Context
from benchmarks.flops import count_multiply_adds
from benchmarks.machine import MatmulRate, usable_cpus
from benchmarks.results import SPEEDUP, Figure
from benchmarks.timing import Summary, interleave, repeat

# The targets: ONNX Runtime at least this many times faster than calling the
# Keras model, and at most this many times slower than the compute bound.
MIN_SPEEDUP_OVER_KERAS = 10.0
MAX_RATIO_TO_BOUND = 2.0

# Calls timed together for the comparison with the compute bound: about as
# long as one matrix product (0.1 to 0.3 s).
SUSTAINED_CALLS = 50


def measure_model_time(context: Context) -> list[Figure]:
    """Time one photo through the model with every output: ONNX Runtime, Keras `model(x)` and `model.predict(x)`.

    All three run one real photo, with the probabilities averaged over the
    photo and its mirror image when the export did that, and return every
    feature map. `model(x)` is `training.export.build_forward`, the function
    that export converts, so it also returns the attribution maps. Keras
    lacks the novelty output, which needs the training photos' statistics,
    and `predict` also lacks the attribution maps.

    The compute bound is the model's multiply-adds, two floating-point
    operations each, divided by the fastest float32 matrix-multiply rate
    that numpy reaches on as many threads as this process may use, measured
    in the same rounds. Each matrix product lasts long enough to be slowed by other
    processes, while a median of single calls of a few milliseconds picks
    the moments when they leave the cores free. So the bound is compared
    with the time per call over `SUSTAINED_CALLS` calls in a row.
    """
    classifier = context.classifier
    images = context.model_input
    sizes = context.sizes

    multiply_adds = sum(count.multiply_adds for count in count_multiply_adds(context.model_path))
    model_flops = 2.0 * multiply_adds

    def predict_all_outputs():
        return classifier.predict(images, feature_maps=True, attribution=True)

    def predict_sustained() -> list[float]:
        # One sample per window of back-to-back calls, like one long matrix
        # product, so both sides of the bound average over the same kind of
        # interruptions by other processes.
        start = time.perf_counter()
        for _ in range(SUSTAINED_CALLS):
            predict_all_outputs()
        return [(time.perf_counter() - start) / SUSTAINED_CALLS]

    measurements = {"onnx": repeat(predict_all_outputs, sizes.model_calls)}

    keras_error = None
    try:
        forward = context.keras_forward
        predict_model = context.keras_predict_model(feature_maps=True)
    except ImportError as error:
        keras_error = f"TensorFlow or Keras is not installed ({error.name}); install the [train] extra"
    except ValueError as error:
        keras_error = str(error)
    if keras_error is None:
        # Converting every output to numpy makes Keras finish the same work
        # ONNX Runtime does, which returns numpy arrays.
        measurements["keras_call"] = repeat(
            lambda: [np.asarray(output) for output in forward(images)],
            max(1, sizes.model_calls // 2),
        )
        measurements["keras_predict"] = repeat(
            lambda: predict_model.predict(images, verbose=0), max(1, sizes.model_calls // 4)
        )

    threads = usable_cpus()
    matmul = MatmulRate(threads)
    try:
        bound_calls = max(1, sizes.model_calls // 7)
        measurements["onnx_sustained"] = lambda: [sample for _ in range(bound_calls) for sample in predict_sustained()]
        measurements["matmul"] = lambda: matmul.measure(bound_calls)
        summaries = interleave(measurements, sizes.rounds)
    finally:
        matmul.close()

    onnx_ms = summaries["onnx"].scaled(1000)
    figures = []
    if keras_error is None:
        details = _keras_details(context)
        for key, title, baseline_name, target in (
            ("keras_call", "Model time per photo, all outputs, vs Keras model(x)", "Keras model(x)", True),
            ("keras_predict", "Model time per photo, all outputs, vs Keras predict", "Keras predict", False),
        ):
            baseline_ms = summaries[key].scaled(1000)
            speedup = baseline_ms.median / onnx_ms.median
            figures.append(Figure(
                key=f"model.{key}",
                title=title,
                unit="ms",
                ours=onnx_ms,
                baseline=baseline_ms,
                baseline_name=baseline_name,
                ratio=speedup,
                ratio_unit=SPEEDUP,
                target=f"≥ {MIN_SPEEDUP_OVER_KERAS:g}× faster" if target else "",
                met=speedup >= MIN_SPEEDUP_OVER_KERAS if target else None,
                details=details,
            ))
    else:
        figures.append(Figure(
            key="model.keras_call",
            title="Model time per photo, all outputs, vs Keras model(x)",
            unit="ms",
            target=f"≥ {MIN_SPEEDUP_OVER_KERAS:g}× faster",
            error=keras_error,
        ))

    # The bound takes the fastest product: other processes only ever slow a
    # product down, so the fastest is the closest to the machine's rate. The
    # model needs model_flops where the product needed flops_per_product.
    fastest_product = summaries["matmul"].minimum
    bound_ms = Summary.of([1000 * fastest_product * model_flops / matmul.flops_per_product()])
    sustained_ms = summaries["onnx_sustained"].scaled(1000)
    ratio_to_bound = sustained_ms.median / bound_ms.median
    matmul_rate = matmul.flops_per_product() / fastest_product
    figures.append(Figure(
        key="model.compute_bound",
        title=f"Model time per photo, {SUSTAINED_CALLS} calls in a row, vs compute bound",
        unit="ms",
        ours=sustained_ms,
        baseline=bound_ms,
        baseline_name="compute bound",
        ratio=ratio_to_bound,
        ratio_unit="× bound",
        target=f"≤ {MAX_RATIO_TO_BOUND:g}× bound",
        met=ratio_to_bound <= MAX_RATIO_TO_BOUND,
        details={
            "multiply_adds": multiply_adds,
            "matmul_size": matmul.size,
            "matmul_threads": threads,
            "matmul_gflops_per_second": round(matmul_rate / 1e9, 1),
            "matmul_median_gflops_per_second": round(matmul.flops_per_product() / summaries["matmul"].median / 1e9, 1),
            "onnx_threads": "ONNX Runtime default (the app's session options)",
        },
    ))
    return figures


def _keras_details(context: Context) -> dict:
    import keras

    parameters = context.model_summary()["parameters"]
    keras_parameters = context.keras_model.count_params()
    return {
        "keras_version": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "architecture": context.architecture,
        "keras_parameters": keras_parameters,
        # Equal counts show that the rebuilt model has the exported layer sizes.
        "parameters_match_onnx_metadata": parameters == keras_parameters if parameters else None,
    }
