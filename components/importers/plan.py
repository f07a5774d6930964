"""What an importer produces before anything is written: the chatbot's fields, its flows with
their graphs, and the report for the owner."""

from dataclasses import dataclass, field
from typing import Any

from components.graph import GraphDraft


@dataclass
class ImportReport:
    """`warnings`: what changed or was lost, each `{block_id, type, message}` (block_id and type
    are null for the file as a whole); `renamed_variables`: source name → our name; `left_out`:
    the blocks that have no counterpart, each `{block_id, type}` (each also has a warning)."""

    source: str
    source_version: str
    warnings: list[dict[str, Any]] = field(default_factory=list)
    renamed_variables: dict[str, str] = field(default_factory=dict)
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def warn(self, message: str, *, block_id: str | None = None, block_type: str | None = None) -> None:
        self.warnings.append({"block_id": block_id, "type": block_type, "message": message})

    def leave_out(self, message: str, *, block_id: str | None, block_type: str | None) -> None:
        self.left_out.append({"block_id": block_id, "type": block_type})
        self.warn(message, block_id=block_id, block_type=block_type)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_version": self.source_version,
            "warnings": self.warnings,
            "renamed_variables": self.renamed_variables,
            "left_out": self.left_out,
        }


@dataclass
class PlannedFlow:
    """A flow to create. `key` names it within the plan: a flow_link node's `data.flow` holds
    the key of the flow it calls until the import replaces it with the new flow's id."""

    key: str
    name: str
    graph: GraphDraft
    is_main: bool = False
    description: str = ""
    settings: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    name: str
    flows: list[PlannedFlow]
    report: ImportReport
    description: str = ""
    appearance: dict = field(default_factory=dict)
    behavior: dict = field(default_factory=dict)
