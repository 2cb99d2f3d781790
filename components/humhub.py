"""HumHubStack lives in its service folder (services/humhub/component.py); importable here as specified."""

from services.humhub.component import HumHubStack, HumHubStackArgs

__all__ = ["HumHubStack", "HumHubStackArgs"]
