"""Entry point `train`: fit an ElasticNet on the house prices and log it to MLflow."""

import argparse
import warnings

import mlflow
import numpy as np
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error, r2_score

from lab_utils.data import split_train_validation_test
from lab_utils.i18n import _

# The house data has no missing values, so the integer columns of the signature are meant:
# MLflow's hint about integer columns (explained in lesson 05) adds nothing here.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column", category=UserWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alpha", type=float, required=True)
    parser.add_argument("--l1-ratio", type=float, required=True)
    parser.add_argument("--max-iter", type=float, required=True)
    args = parser.parse_args()

    # Fit on train, score on validation; the test set is left to `validate`, for a model that passed.
    split = split_train_validation_test()
    # `mlflow run` has already started the run (and logged the parameters): this joins it.
    with mlflow.start_run():
        model = ElasticNet(alpha=args.alpha, l1_ratio=args.l1_ratio, max_iter=int(args.max_iter))
        model.fit(split.X_train, split.y_train)
        predictions = model.predict(split.X_validation)
        rmse = float(np.sqrt(mean_squared_error(split.y_validation, predictions)))
        mlflow.log_metrics({"validation_rmse": rmse, "validation_r2": r2_score(split.y_validation, predictions)})
        mlflow.set_tag("dataset", "windsor_house_prices")
        mlflow.sklearn.log_model(model, name="model", input_example=split.X_train.head(3),
                                 signature=infer_signature(split.X_train, model.predict(split.X_train)))
        # In the learner's language: `mlflow run` passes on the notebook's LAB_LANG.
        print(_("alpha={alpha} l1_ratio={l1_ratio}: validation rmse {rmse:,.0f}")
              .format(alpha=args.alpha, l1_ratio=args.l1_ratio, rmse=rmse))


if __name__ == "__main__":
    main()
