"""Entry file MLflow logs for the "model from code" pyfunc (see ``pyfunc.py``)."""

from mlflow.models import set_model

from nlv_kedro.serving.pyfunc import NextLevelPyfunc

set_model(NextLevelPyfunc())
