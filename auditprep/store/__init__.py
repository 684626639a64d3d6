"""The engagement store (one SQLite file per engagement) and its integrity checks."""

from auditprep.store.engagement import Engagement, EngagementInfo, iso, parse_iso

__all__ = ["Engagement", "EngagementInfo", "iso", "parse_iso"]
