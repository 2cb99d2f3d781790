"""`make schema`: export the JSON Schema of the tenant file (tenants/schema.json) for editors."""

from __future__ import annotations

import json
import sys
from typing import Any

from model.models import TenantFile
from tools.mockengine import PROJECT_DIR

SCHEMA_PATH = PROJECT_DIR / "tenants" / "schema.json"


def tenant_schema() -> dict[str, Any]:
    schema = TenantFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://proxcloud.example/schemas/tenant-v1.json"
    return schema


def render() -> str:
    return json.dumps(tenant_schema(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
