"""NextLevelVideo: hierarchical video representations from a frozen image encoder and a light top transformer."""

from nlv_kedro.log import ignore_third_party_warnings, install_markup_escaping
from nlv_kedro.offline import apply_offline_defaults

__version__ = "0.1.0"

apply_offline_defaults()
install_markup_escaping()
ignore_third_party_warnings()
