"""A model from code: prices raw listings (yes/no answers, lot size in m²) with a trained estimator.

MLflow stores this file in the model and runs it to load the model; nothing is pickled.
"""

import mlflow
import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc import PythonModel

SQFT_PER_M2 = 10.7639
YES_NO_COLUMNS = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]


class ListingPriceModel(PythonModel):
    def load_context(self, context):
        # `artifacts={"estimator": ...}` at logging time: MLflow copied that model into this one.
        self.estimator = mlflow.sklearn.load_model(context.artifacts["estimator"])

    def predict(self, context, model_input: pd.DataFrame, params=None):
        frame = model_input.copy()
        for column in YES_NO_COLUMNS:
            frame[column] = (frame[column].str.lower() == "yes").astype("int64")
        frame["lotsize"] = frame.pop("lotsize_m2") * SQFT_PER_M2
        return self.estimator.predict(frame[self.estimator.feature_names_in_])


# The object MLflow loads: `mlflow.pyfunc.load_model` runs this file and keeps what is set here.
set_model(ListingPriceModel())
