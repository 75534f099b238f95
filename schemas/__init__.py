"""The contract: pydantic models for a dispatch and its parts. See :mod:`schemas.models`."""

from schemas.models import (
    Deadline,
    DeadlineKind,
    Dispatch,
    DistributionEntry,
    DocRef,
    Extracted,
    PartialDate,
    Signer,
    SourceInfo,
    Span,
    Task,
)

__all__ = [
    "Deadline",
    "DeadlineKind",
    "Dispatch",
    "DistributionEntry",
    "DocRef",
    "Extracted",
    "PartialDate",
    "Signer",
    "SourceInfo",
    "Span",
    "Task",
]
