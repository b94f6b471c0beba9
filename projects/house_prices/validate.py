"""Entry point `validate`: load a trained run's model, score it on the test split, gate on RMSE."""

import argparse
import sys

import mlflow
import numpy as np
from sklearn.metrics import mean_squared_error

from lab_utils.data import split_house_prices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--max-rmse", type=float, required=True)
    args = parser.parse_args()

    _, X_test, _, y_test = split_house_prices()
    model = mlflow.pyfunc.load_model(f"runs:/{args.run_id}/model")
    rmse = float(np.sqrt(mean_squared_error(y_test, model.predict(X_test))))
    passed = rmse <= args.max_rmse
    with mlflow.start_run():
        mlflow.log_metric("validated_rmse", rmse)
        mlflow.set_tags({"validated_run_id": args.run_id, "validation_passed": str(passed).lower()})
    print(f"run {args.run_id}: rmse {rmse:,.0f} {'<=' if passed else '>'} {args.max_rmse:,.0f}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
