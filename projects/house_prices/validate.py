"""Entry point `validate`: load a trained run's model, gate it on its validation RMSE, and
score a model that passed on the test set, once.

The verdict is the tag `validation_passed` (true/false) and the run ends FINISHED either
way: a rejected model is a validation that worked. A non-zero exit (a FAILED run) is kept
for a validation that could not be done: a missing run, a model that does not load."""

import argparse
import sys

import mlflow
import numpy as np
from sklearn.metrics import mean_squared_error

from lab_utils.data import split_train_validation_test
from lab_utils.i18n import _


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--max-rmse", type=float, required=True)
    args = parser.parse_args()

    split = split_train_validation_test()
    model = mlflow.pyfunc.load_model(f"runs:/{args.run_id}/model")

    def rmse(X, y) -> float:
        return float(np.sqrt(mean_squared_error(y, model.predict(X))))

    # The gate is a decision, so it reads the validation set; the test set stays unseen
    # by every decision and is scored only for a model that passed, to report.
    validation_rmse = rmse(split.X_validation, split.y_validation)
    passed = validation_rmse <= args.max_rmse
    with mlflow.start_run():
        mlflow.log_metric("validation_rmse", validation_rmse)
        mlflow.set_tags({"validated_run_id": args.run_id, "validation_passed": str(passed).lower()})
        if passed:
            mlflow.log_metric("test_rmse", rmse(split.X_test, split.y_test))
    print((_("validation rmse {rmse:,.0f} <= {max_rmse:,.0f}: passed") if passed else
           _("validation rmse {rmse:,.0f} > {max_rmse:,.0f}: rejected")).format(rmse=validation_rmse,
                                                                                max_rmse=args.max_rmse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
