"""Spark for a small machine: a local session by default, the lab's standalone cluster on request."""

from __future__ import annotations

import os
import sys

from .config import LOOPBACK, SPARK_CONF_DIR
from .data import FEATURES, split_house_prices
from .doctor import java_install_hint, java_major_version
from .errors import LabError


class SparkUnavailable(LabError):
    """Spark cannot start here; the message says what to install or start."""


def spark_session(app_name: str = "mlflow-lab", master: str | None = None, shuffle_partitions: int = 4):
    """A SparkSession bound to loopback: `local[*]` unless `master` names a cluster (spark://…)."""
    major = java_major_version()
    if major is None or major < 17:
        found = "no Java" if major is None else f"Java {major}"
        raise SparkUnavailable(f"Spark needs Java 17 or newer and found {found}: {java_install_hint()}.")
    # Loopback only: no hostname look-up warning, nothing exposed on the network (the driver
    # runs beside the notebook; on a workshop learner's laptop LAB_HOST is the server's).
    os.environ.setdefault("SPARK_LOCAL_IP", LOOPBACK)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_CONF_DIR", str(SPARK_CONF_DIR))  # for every Spark JVM started from here
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.appName(app_name)
        .master(master or "local[*]")
        .config("spark.driver.host", LOOPBACK)
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # A few hundred rows: the default 200 shuffle partitions would be 200 tiny tasks.
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", "1g")
        .config("spark.executor.memory", "1g")
        # Executors (on a cluster too) run Python UDFs with the lab's own interpreter.
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def house_prices_spark_frames(spark):
    """The house prices as Spark DataFrames `(train, test)` with `features` and `label` columns.

    The split is the one every lesson uses (`split_house_prices`), so Spark and
    scikit-learn models are scored on the same test houses.
    """
    from pyspark.ml.feature import VectorAssembler

    X_train, X_test, y_train, y_test = split_house_prices()
    assembler = VectorAssembler(inputCols=FEATURES, outputCol="features")
    frames = []
    for X, y in ((X_train, y_train), (X_test, y_test)):
        frame = spark.createDataFrame(X.assign(label=y.astype(float)))
        frames.append(assembler.transform(frame))
    return frames[0], frames[1]

