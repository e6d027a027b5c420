"""``make settings-schema``: write docs/store-settings.schema.json, the JSON Schema of a
store's settings file, generated from the model that validates it (encore.stores), so
editors complete and check settings files the way ``encore settings load`` will.

A settings file carries no ``store_id`` (the store is named when the file is loaded), so
the schema does not require one. ``--check`` fails when the committed schema is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "store-settings.schema.json"


def schema() -> dict:
    from encore.stores import StoreSettings

    generated = StoreSettings.model_json_schema()
    generated["required"] = [name for name in generated.get("required", []) if name != "store_id"]
    if not generated["required"]:
        del generated["required"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "store-settings.schema.json", **generated}


def document() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help=f"fail if {OUTPUT.relative_to(ROOT)} is out of date")
    args = parser.parse_args(argv)
    text = document()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run make settings-schema", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
