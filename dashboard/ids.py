"""Every component id of the dashboard, in one place (layouts and callbacks import these).

Ids are grouped by page; a page's ids share its prefix so a clash is visible at a glance.
"""

# ---------------------------------------------------------------- shell (every page)
PACKAGE = "package-key"  # dcc.Store (session): content hash of the package in use
CAPABILITY = "selected-capability"  # dcc.Store (session): capability picked last
PACKAGE_BADGE = "package-badge"
GLOBAL_MESSAGE = "global-message"
NAV = "nav"
NAV_TOGGLE = "nav-toggle"  # the header button showing/hiding the navigation when narrow
SHELL = "app-shell"  # the dmc.AppShell (its navbar prop opens/closes the navigation)
NAV_LINK = "nav-"  # prefix of each page's link in the navigation, then the page module

# ---------------------------------------------------------------- overview
OV_MESSAGE = "ov-message"
OV_HEADLINES = "ov-headlines"
OV_CAPABILITY = "ov-capability"
OV_KIND = "ov-kind"
OV_SPOF_GRID = "ov-spof-grid"
OV_SPOF_COUNT = "ov-spof-count"  # one line counting the SPOFs listed
OV_SPOF_CSV = "ov-spof-csv"  # the SPOF list shown, as CSV / workbook
OV_SPOF_XLSX = "ov-spof-xlsx"
OV_DOWNLOAD = "ov-download"
OV_DAYS = "ov-days"
OV_ANSWER = "ov-answer"
OV_ANSWER_ALERT = "ov-answer-alert"  # the answer itself, inside OV_ANSWER
OV_TOP_RISKS = "ov-top-risks"
OV_MAP = "ov-map"
OV_NAV = "ov-nav"  # dcc.Location: a clicked top risk or map point opens on Network

# ---------------------------------------------------------------- network
NET_MESSAGE = "net-message"
NET_NATION = "net-nation"
NET_PLATFORM = "net-platform"
NET_FOCUS = "net-focus"
NET_DEPTH = "net-depth"
NET_DIRECTION = "net-direction"
NET_GRAPH = "net-graph"
NET_NOTE = "net-note"
NET_PANEL = "net-panel"
NET_PANEL_BODY = "net-panel-body"  # the clicked node's details, inside NET_PANEL
NET_QUERY = "net-query"  # dcc.Store: a node to open, passed in the URL (?focus=...)
NET_PNG = "net-png"  # download the drawn graph as PNG / SVG
NET_SVG = "net-svg"

# ---------------------------------------------------------------- why (dependency chains)
WHY_MESSAGE = "why-message"
WHY_CAPABILITY = "why-capability"
WHY_POINT = "why-point"
WHY_GRAPH = "why-graph"
WHY_NOTE = "why-note"  # how many chains lead from the point to the capability
WHY_CHAINS = "why-chains"  # the chains as text, one per line (the graph's text alternative)
WHY_QUERY = "why-query"  # dcc.Store: capability and point passed in the URL
WHY_SVG = "why-svg"
WHY_PNG = "why-png"

# ---------------------------------------------------------------- risk register & SPOFs
REG_MESSAGE = "reg-message"
REG_SEARCH = "reg-search"
REG_GRID = "reg-grid"
REG_DOWNLOAD_BUTTON = "reg-download-button"
REG_DOWNLOAD = "reg-download"
REG_CAPABILITY = "reg-capability"
REG_SPOF_GRID = "reg-spof-grid"
REG_PAIRS_GRID = "reg-pairs-grid"
REG_TABLE = "reg-table"
REG_CSV_BUTTON = "reg-csv-button"  # the chosen table as one CSV for spreadsheets
REG_XLSX_BUTTON = "reg-xlsx-button"  # ... and as an .xlsx workbook
REG_SPOF_CSV = "reg-spof-csv"  # one capability's SPOFs and pairs, CSV / workbook
REG_SPOF_XLSX = "reg-spof-xlsx"
REG_SHEET_DOWNLOAD = "reg-sheet-download"

# ---------------------------------------------------------------- nations
NAT_MESSAGE = "nat-message"
NAT_PLATFORM = "nat-platform"
NAT_HEATMAP = "nat-heatmap"
NAT_ANSWER = "nat-answer"  # the most damaging nation, in words
NAT_CSV = "nat-csv"  # the heatmap's data, as CSV / workbook
NAT_XLSX = "nat-xlsx"
NAT_DOWNLOAD = "nat-download"
NAT_FAILING = "nat-failing"
NAT_CHOROPLETH = "nat-choropleth"
NAT_PARTNERS = "nat-partners"
NAT_SURVIVABILITY = "nat-survivability"
NAT_SURV_SUMMARY = "nat-surv-summary"

# ---------------------------------------------------------------- what-if
WI_MESSAGE = "wi-message"
WI_LOAD = "wi-load"  # select a scenario of the package's scenarios.toml
WI_LOAD_B = "wi-load-b"
WI_POINT = "wi-point"
WI_ADD_FAIL = "wi-add-fail"
WI_ADD_CAPACITY = "wi-add-capacity"
WI_REMOVE = "wi-remove"
WI_ROWS = "wi-rows"  # AG Grid: the scenario being edited
WI_NAME = "wi-name"
WI_HORIZON = "wi-horizon"
WI_RUN = "wi-run"
WI_PIN = "wi-pin"  # "Save for comparison"
WI_CLEAR_B = "wi-clear-b"  # "Clear saved"
WI_SPEC_A = "wi-spec-a"  # dcc.Store: the scenario run last
WI_SUMMARY = "wi-summary"
WI_HEATMAP = "wi-heatmap"
WI_TIMELINE = "wi-timeline"
WI_EXPOSED = "wi-exposed"
WI_COMPARE = "wi-compare"  # AG Grid: only the capabilities where the scenarios differ
WI_COMPARE_BOX = "wi-compare-box"  # hidden while there is no comparison
WI_RESULT_ALERT = "wi-result-alert"  # the run's summary, inside WI_SUMMARY
WI_DOWNLOAD_BUTTON = "wi-download-button"
WI_DOWNLOAD = "wi-download"

# ---------------------------------------------------------------- Monte Carlo
MC_MESSAGE = "mc-message"
MC_TRIALS = "mc-trials"
MC_SEED = "mc-seed"
MC_RUN = "mc-run"
MC_CANCEL = "mc-cancel"
MC_TICKET = "mc-ticket"  # dcc.Store: the admission ticket of an accepted job
MC_PROGRESS = "mc-progress"
MC_STATUS = "mc-status"
MC_RESULT = "mc-result"  # dcc.Store: the result tables (records)
MC_GRID = "mc-grid"
MC_IMPORTANCE = "mc-importance"
MC_DOWNLOAD_BUTTON = "mc-download-button"
MC_DOWNLOAD = "mc-download"

# ---------------------------------------------------------------- data
DATA_MESSAGE = "data-message"
DATA_BUNDLED = "data-bundled"
DATA_USE = "data-use"
DATA_UPLOAD = "data-upload"
DATA_ISSUES = "data-issues"
DATA_CURRENT = "data-current"
# the diff against the package the tab used before (dashboard/diffview.py)
DATA_DIFF = "data-diff"
DATA_DIFF_BASE = "data-diff-base"
DATA_DIFF_SPOF = "data-diff-spof"
DATA_DIFF_ROWS = "data-diff-rows"
WI_PREFILL = "wi-prefill"  # dcc.Store: a failure passed in the URL (?fail=...&days=...)
WI_METRIC = "wi-metric"
WI_SESSION = "wi-session"  # dcc.Store (session, shell): the What-if page's state this tab
WI_QUERY = "wi-query"  # dcc.Store: the query string that reproduces the view shown
WI_URL_DONE = "wi-url-done"  # dcc.Store: written by the client-side URL update
WI_MARGINS = "wi-margins"  # AG Grid: stock margin and what it would take, per capability
WI_SAVED = "wi-saved"  # MultiSelect: the saved scenarios compared (unticking removes one)
WI_SIDE = "wi-side"  # the saved scenarios side by side
MC_NATIONS = "mc-nations"  # AG Grid: per-nation Monte Carlo results
MC_IMPORTANCE_P = "mc-importance-p"  # criticality importance (given the probabilities)
MC_BASIS = "mc-basis"  # the time basis of the probabilities

# ---------------------------------------------------------------- page roots
# Each page's outermost Div: its "id" is an input of the page's fill callback, so the
# callback runs whenever the page is shown (inputs in the shell alone would not fire on
# client-side navigation).
OV_PAGE = "page-overview"
NET_PAGE = "page-network"
REG_PAGE = "page-register"
NAT_PAGE = "page-nations"
WI_PAGE = "page-whatif"
MC_PAGE = "page-montecarlo"
DATA_PAGE = "page-data"
WHY_PAGE = "page-why"

# ---------------------------------------------------------------- sovereignty page
SOV_PAGE = "page-sovereignty"
SOV_MESSAGE = "sov-message"
SOV_COALITION = "sov-coalition"
SOV_REGIME = "sov-regime"
SOV_TABLE = "sov-table"
SOV_DOWNLOAD_BUTTON = "sov-download-button"
SOV_DOWNLOAD = "sov-download"
SOV_SUMMARY = "sov-summary"
SOV_SURVIVAL_GRID = "sov-survival-grid"
SOV_CONTROL_GRID = "sov-control-grid"
SOV_GAPS_GRID = "sov-gaps-grid"
