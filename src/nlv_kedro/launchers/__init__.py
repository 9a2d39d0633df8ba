"""Entry points that start a Kedro pipeline under another launcher (``torchrun``), outside ``kedro run``."""
