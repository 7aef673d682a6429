"""Prints the Python requirements Home Assistant would pip-install when it starts our config.

    python requirements.py    (the venv's python, homeassistant installed)

Offline, HA cannot install them, so tests/ha/setup installs them beforehand: the `requirements`
of the manifest of every integration HA loads — its default ones (bootstrap's *_INTEGRATIONS
sets, `frontend` among them), the ones our configuration.yaml names, `mqtt` (a test may add
it), each with its dependencies and after-dependencies — plus the REQUIREMENTS of the auth
mfa modules, without which core does not initialize offline.
"""

import importlib
import json
import pathlib
import pkgutil
import re

import homeassistant.auth.mfa_modules as mfa_modules
import homeassistant.bootstrap as bootstrap
import homeassistant.components as components

HERE = pathlib.Path(__file__).resolve().parent
COMPONENTS = pathlib.Path(components.__file__).parent
EXTRA = {"mqtt", "template"}  # with_mqtt(port); the template platforms of light/switch/…


def configured_domains() -> set[str]:
    """Top-level keys of our YAML (a key is a domain) and the platforms it names."""
    domains = set()
    for path in HERE.glob("*.yaml"):
        text = path.read_text()
        domains |= set(re.findall(r"^([a-z_]+):", text, re.MULTILINE))
        domains |= set(re.findall(r"platform:\s*([a-z_]+)", text))
    return domains


def manifest(domain: str) -> dict:
    path = COMPONENTS / domain / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def closure(domains: set[str]) -> set[str]:
    seen, todo = set(), list(domains)
    while todo:
        domain = todo.pop()
        if domain in seen or not manifest(domain):
            continue
        seen.add(domain)
        m = manifest(domain)
        todo += m.get("dependencies", []) + m.get("after_dependencies", [])
    return seen


def main() -> None:
    domains = configured_domains() | EXTRA
    for name in dir(bootstrap):
        value = getattr(bootstrap, name)
        if name.endswith("_INTEGRATIONS") and isinstance(value, (set, frozenset, list)):
            domains |= {domain for domain in value if isinstance(domain, str)}
    requirements = set()
    for domain in sorted(closure(domains)):
        requirements |= set(manifest(domain).get("requirements", []))
    for module in pkgutil.iter_modules(mfa_modules.__path__):
        requirements |= set(
            getattr(importlib.import_module(f"{mfa_modules.__name__}.{module.name}"),
                    "REQUIREMENTS", []))
    print("\n".join(sorted(requirements)))


if __name__ == "__main__":
    main()
