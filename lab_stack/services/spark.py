"""A Spark standalone cluster for lesson 03 (`lab spark up`): one master, one worker."""

from __future__ import annotations

from pathlib import Path

from lab_utils.config import LOOPBACK, SPARK_CONF_DIR

from ..config import StackConfig
from .service import BIN, Service, http_ok


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _driver_java_options() -> str:
    """spark.driver.defaultJavaOptions of the lab's spark-defaults.conf ("" without one)."""
    for line in (SPARK_CONF_DIR / "spark-defaults.conf").read_text().splitlines():
        if line.startswith("spark.driver.defaultJavaOptions"):
            return line.split(None, 1)[1].strip()
    return ""


def spark_services(config: StackConfig) -> list[Service]:
    spark = spark_home()
    # Whoever reaches a Spark master runs code on its worker (as this lab's user), and its
    # REST submission port (6066, on by default) too: master, worker, their web UIs
    # (SPARK_LOCAL_IP) and the executors they start bind loopback, and REST is off.
    environment = {"SPARK_HOME": str(spark), "SPARK_LOCAL_IP": LOOPBACK,
                   "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
                   "SPARK_LOG_DIR": str(config.logs_dir), "SPARK_NO_DAEMONIZE": "1",
                   # The master and worker take the JVM options of the lab's drivers.
                   "SPARK_DAEMON_JAVA_OPTS": _driver_java_options(), "SPARK_CONF_DIR": str(SPARK_CONF_DIR),
                   # Executors run Python UDFs with the lab's interpreter (pandas, mlflow, ...).
                   "PYSPARK_PYTHON": str(BIN / "python")}
    master = Service(
        name="spark-master",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
            "--host", LOOPBACK, "--port", str(config.spark_master_port),
            "--webui-port", str(config.spark_ui_port),
        ],
        url=config.spark_master_url,
        health=lambda c: http_ok(f"{c.spark_ui_url}/json/", "ALIVE"),
        ports=(config.spark_master_port, config.spark_ui_port),
        port_variable="LAB_SPARK_MASTER_PORT",
        host=LOOPBACK,
        environment=environment,
        autostart=False,
        group="spark",
    )
    worker = Service(
        name="spark-worker",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.worker.Worker",
            config.spark_master_url, "--host", LOOPBACK,
            "--webui-port", str(config.spark_ui_port + 1),
            "--cores", "2", "--memory", "2g",
            "--work-dir", str(config.home / "spark" / "work"),
        ],
        url=f"http://{LOOPBACK}:{config.spark_ui_port + 1}",
        health=lambda c: http_ok(f"{c.spark_ui_url}/json/", '"aliveworkers" : 1'),
        ports=(config.spark_ui_port + 1,),
        port_variable="LAB_SPARK_UI_PORT",
        host=LOOPBACK,
        environment=environment,
        autostart=False,
        group="spark",
    )
    return [master, worker]
