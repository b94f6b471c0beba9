"""Spark for a small machine: a local session by default, the lab's standalone cluster on request."""

from __future__ import annotations

import os

from .config import load_config
from .data import FEATURES, SEED, TARGET, load_house_prices
from .doctor import java_major_version


class SparkUnavailable(RuntimeError):
    """Spark cannot start here; the message says what to install or start."""


def spark_session(app_name: str = "mlflow-lab", master: str | None = None, shuffle_partitions: int = 4):
    """A SparkSession bound to loopback: `local[*]` unless `master` names a cluster (spark://…)."""
    major = java_major_version()
    if major is None or major < 17:
        found = "no Java" if major is None else f"Java {major}"
        raise SparkUnavailable(f"Spark needs Java 17 or newer and found {found}: install it with "
                               "`sudo apt-get install openjdk-17-jre-headless` (or set JAVA_HOME).")
    config = load_config()
    # Loopback only: no hostname look-up warning, nothing exposed on the network.
    os.environ.setdefault("SPARK_LOCAL_IP", config.host)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.appName(app_name)
        .master(master or "local[*]")
        .config("spark.driver.host", config.host)
        .config("spark.driver.bindAddress", config.host)
        .config("spark.ui.enabled", "false")
        # A few hundred rows: the default 200 shuffle partitions would be 200 tiny tasks.
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.driver.memory", "1g")
        .config("spark.executor.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def house_prices_spark_frames(spark, test_fraction: float = 0.25):
    """The house prices as Spark DataFrames `(train, test)` with `features` and `label` columns."""
    from pyspark.ml.feature import VectorAssembler

    frame = spark.createDataFrame(load_house_prices()).withColumnRenamed(TARGET, "label")
    assembled = VectorAssembler(inputCols=FEATURES, outputCol="features").transform(frame)
    train, test = assembled.randomSplit([1 - test_fraction, test_fraction], seed=SEED)
    return train, test
