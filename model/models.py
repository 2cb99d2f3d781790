"""The input models under their former module: the tenant file format (model.tenant), its guest parts
(model.guests) and the stack settings (model.settings); the service models live in their folders (services/*).

Kept so that `from model.models import StackSettings` goes on working while other branches still say it; new code
imports from the module that defines the name.
"""

from model.guests import ContainerSpec, Guest, Placement, VmSpec
from model.settings import (
    SECRET_CONFIG_KEYS,
    VNI_MAX,
    VNI_MIN,
    VXLAN_OVERHEAD,
    BackupSpec,
    BackupWindow,
    HaSpec,
    ImageSpec,
    NotificationsSpec,
    RestoreDrillSpec,
    StackSettings,
    _Config,
)
from model.tenant import VNIS_PER_TENANT, AccessProfile, TenantFile
from model.types import NODE_NAME, SDN_ID

__all__ = [
    "NODE_NAME",
    "SDN_ID",
    "SECRET_CONFIG_KEYS",
    "VNIS_PER_TENANT",
    "VNI_MAX",
    "VNI_MIN",
    "VXLAN_OVERHEAD",
    "AccessProfile",
    "BackupSpec",
    "BackupWindow",
    "ContainerSpec",
    "Guest",
    "HaSpec",
    "ImageSpec",
    "NotificationsSpec",
    "Placement",
    "RestoreDrillSpec",
    "StackSettings",
    "TenantFile",
    "VmSpec",
    "_Config",
]
