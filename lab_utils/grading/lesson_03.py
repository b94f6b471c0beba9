"""Lesson 03's exercises: a deeper Spark forest, and batch scoring written by Spark."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from ..i18n import _
from . import (
    artifact_paths,
    fail,
    get_run,
    passed,
    require_metric,
    require_params,
    require_run_name,
    set_difference,
)

COLUMNS = ("house_id", "predicted_price")
SPARK_STAMP = b"org.apache.spark.version"  # a key of the metadata Spark writes into each Parquet file


def check_exercise_1(deeper_run_id: object, test_raw, evaluator, spark_rmse: float | None = None) -> None:
    """Exercise 1: run `exercise_spark_deeper`: numTrees=50, maxDepth=8, a Spark model `model`, its test `rmse`.

    Accepts params as 50 / "50" / 50.0 (and autolog's `<stage>.numTrees` names), the model logged
    positionally or as artifact_path="model", a re-run. Refuses: not a run id, another name, other
    values, no Spark model under `model` or one with other trees, the bare forest without its
    VectorAssembler, an `rmse` that is not the logged model's RMSE on the test houses.
    """
    import mlflow.spark

    run = get_run(deeper_run_id)
    require_run_name(run, "exercise_spark_deeper")
    require_params(run, {"numTrees": 50, "maxDepth": 8})
    logged_rmse = require_metric(run, "rmse")
    try:
        logged_pipeline = mlflow.spark.load_model(f"runs:/{run.info.run_id}/model")
    except Exception:
        fail(_("the run has no Spark model under 'model': log it with mlflow.spark.log_model(model, \"model\", …)"))
    forest = logged_pipeline.stages[-1] if hasattr(logged_pipeline, "stages") else logged_pipeline
    trees = len(getattr(forest, "trees", []))
    depth = forest.getMaxDepth() if hasattr(forest, "getMaxDepth") else None
    if trees != 50 or depth != 8:
        fail(_("the logged model has {trees} trees of depth {depth}, not 50 of depth 8").format(trees=trees,
                                                                                             depth=depth))
    try:  # a bare forest has no VectorAssembler: it cannot score the houses' plain columns
        served_rmse = evaluator.evaluate(logged_pipeline.transform(test_raw), {evaluator.metricName: "rmse"})
    except Exception:
        fail(_("the logged model cannot score the test houses' plain columns: log the fitted Pipeline "
               "(VectorAssembler and forest), not the forest alone"))
    if not np.isclose(logged_rmse, served_rmse, rtol=1e-6):
        fail(_("the logged rmse {got:,.2f} is not the logged model's RMSE on the test houses (about {want:,.0f}): "
               "log the value evaluator.evaluate returns on its test predictions, not a number typed in")
             .format(got=logged_rmse, want=served_rmse))
    against = "" if spark_rmse is None else _(" against {rmse:,.0f} for the lesson's forest").format(rmse=spark_rmse)
    passed(_("Exercise 1: test RMSE {rmse:,.0f} CAD{against}").format(rmse=served_rmse, against=against))


def check_exercise_2(batch_run_id: object, sklearn_uri: str) -> None:
    """Exercise 2: run `exercise_spark_batch` whose artifact `priced` is Spark's Parquet output of the prices.

    Accepts the columns in any order, the files anywhere under `priced` (one part or many, with
    or without `coalesce`), rows in any order (matched by `house_id`), a re-run. Refuses: not a
    run id, another name, no Parquet written by Spark (`_SUCCESS`, `part-*.parquet` stamped with
    Spark's version: pandas' files with a hand-made `_SUCCESS` are refused), missing or
    extra columns (named), missing or extra houses, prices that are not lesson 01's ElasticNet's.
    """
    import mlflow
    import pandas as pd
    import pyarrow.parquet as pq

    from ..data import load_new_houses

    run = get_run(batch_run_id)
    require_run_name(run, "exercise_spark_batch")
    files = artifact_paths(run.info.run_id, "priced")
    names = [os.path.basename(f) for f in files]
    parquet = [f for f in files if f.endswith(".parquet")]
    if "_SUCCESS" not in names or not parquet:
        fail(_("the run's artifact 'priced' should hold what Spark's write.parquet leaves (_SUCCESS, "
               "part-*.parquet); found {files}").format(files=sorted(names) or _("nothing")))
    folder = os.path.dirname(parquet[0])
    with tempfile.TemporaryDirectory() as local:
        where = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path=folder, dst_path=local)
        parts = [os.path.join(root, name) for root, _dirs, names in os.walk(where)
                 for name in names if name.endswith(".parquet")]
        # Spark stamps its version into every Parquet file it writes; pandas and pyarrow do not.
        by_spark = all(SPARK_STAMP in (pq.read_metadata(part).metadata or {}) for part in parts)
        written = pd.read_parquet(where)
    if not by_spark:
        fail(_("the Parquet files under 'priced' were not written by Spark (pandas' to_parquet, a _SUCCESS "
               "made by hand): write them with the Spark DataFrame's .write.parquet(path)"))
    missing, extra = set_difference(written.columns, COLUMNS)
    if missing or extra:
        fail(_("the Parquet output should have exactly the columns house_id and predicted_price: "
               "missing {missing}, extra {extra}").format(missing=missing or "-", extra=extra or "-"))
    houses = load_new_houses()
    expected = pd.Series(np.asarray(mlflow.pyfunc.load_model(sklearn_uri).predict(houses), dtype=float),
                         index=houses.index)
    got_ids, want_ids = set(written["house_id"].tolist()), set(expected.index.tolist())
    if written["house_id"].duplicated().any() or got_ids != want_ids:
        lost, more = set_difference(got_ids, want_ids)
        fail(_("the output should hold each of the {count} new houses once: missing {missing}, extra {extra}, "
               "{dupes} repeated").format(count=len(want_ids), missing=lost or "-", extra=more or "-",
                                         dupes=int(written["house_id"].duplicated().sum())))
    prices = written.set_index("house_id")["predicted_price"].astype(float).reindex(expected.index)
    if not np.allclose(prices, expected):
        fail(_("these are not lesson 01's ElasticNet prices: score the houses with the Spark UDF `score`"))
    passed(_("Exercise 2: {count} new houses priced by Spark, stored with the run").format(count=len(written)))
