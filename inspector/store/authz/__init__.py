"""The authorization matrix (issue #13 §4): cells, the expected matrix file, comparison and
exports; pure."""

from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict

from .expected import Expectation, ExpectationError, ExpectedRow
from .export import safe_text, to_json, to_json_dict, to_junit, to_markdown
from .matrix import ANY, Cell, CellKey, ChannelRef, Difference, Matrix, compare

__all__ = [
    "ANY",
    "CAPABILITIES",
    "Capability",
    "Cell",
    "CellKey",
    "ChannelRef",
    "Difference",
    "Expectation",
    "ExpectationError",
    "ExpectedRow",
    "Matrix",
    "Verdict",
    "compare",
    "safe_text",
    "to_json",
    "to_json_dict",
    "to_junit",
    "to_markdown",
]
