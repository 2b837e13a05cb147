"""Seeded simulator of the province's source systems (one-stop-shop dossier API, public-service portal).

Used by the tests, by the demo and as the pipeline's default source. Layout, one concern a module:
`world` (agencies, procedures), `calendar` (working days, written by hand), `dossiers` (record
generation), `edge_cases` (hand-written stories the KPI rules bite on), `faults` (what to get wrong),
`operators` (the operators' workbooks), `server` (HTTP serving), `cli` (foreground runner), `truth`
(the ground truth: every KPI mart recomputed from what is served). Nothing here imports the pipeline.
"""

from .dossiers import generate_dossiers, uses_legacy_date_format
from .faults import Faults
from .server import SimulatorServer
from .world import AGENCIES, PROCEDURES

__all__ = ["AGENCIES", "PROCEDURES", "Faults", "SimulatorServer", "generate_dossiers", "uses_legacy_date_format"]
