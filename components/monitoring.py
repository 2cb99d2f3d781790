"""MonitoringStack lives in its service folder (services/monitoring/component.py); importable here as specified."""

from services.monitoring.component import MonitoringStack, MonitoringStackArgs

__all__ = ["MonitoringStack", "MonitoringStackArgs"]
