"""Entry point `train`: fit an ElasticNet on the house prices and log it to MLflow."""

import argparse

import mlflow
import numpy as np
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error, r2_score

from lab_utils.data import split_house_prices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--l1-ratio", type=float, required=True)
    parser.add_argument("--max-iter", type=float, required=True)
    args = parser.parse_args()

    X_train, X_test, y_train, y_test = split_house_prices()
    # `mlflow run` has already started the run (and logged the parameters): this joins it.
    with mlflow.start_run():
        model = ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, max_iter=int(args.max_iter))
        model.fit(X_train, y_train)
        predictions = model.predict(X_test)
        rmse = float(np.sqrt(mean_squared_error(y_test, predictions)))
        mlflow.log_metrics({"rmse": rmse, "r2": r2_score(y_test, predictions)})
        mlflow.set_tag("dataset", "windsor_house_prices")
        mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                 signature=infer_signature(X_train, predictions))
        print(f"alpha={args.alpha} l1_ratio={args.l1_ratio}: rmse {rmse:,.0f}")


if __name__ == "__main__":
    main()
