"""Re-export of `ccrgui.quoting` for code written before the module moved out of the backend.

The one quoting module is `ccrgui/quoting.py` (pure: no Qt, no WinRM) so that both the domain
(event XPath literals) and the backend may import it; new code imports it from there.
"""

from ccrgui.quoting import *  # noqa: F403
from ccrgui.quoting import __all__ as __all__
