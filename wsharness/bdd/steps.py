"""Every step of the library; import it from one module of a ``steps/`` folder::

from wsharness.bdd.steps import *  # noqa: F403
"""

from wsharness.bdd.connection_steps import *  # noqa: F403
from wsharness.bdd.contract_steps import *  # noqa: F403
from wsharness.bdd.deployment_steps import *  # noqa: F403
from wsharness.bdd.receiving_steps import *  # noqa: F403
from wsharness.bdd.sending_steps import *  # noqa: F403
