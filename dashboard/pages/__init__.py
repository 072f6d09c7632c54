"""Page layouts, one module per page (each has ``PAGE``, its registration, and ``layout``)."""

from . import (data, mitigate, montecarlo, network, nations, overview, register, sovereignty,
               whatif, why)

#: The pages in navigation order.
PAGES = [overview, network, why, register, nations, whatif, montecarlo, mitigate, sovereignty,
         data]
