"""The provisioned Home Assistant config dir the tests copy, made once per version of tests/ha.

    python provision.py template    prints the template dir, provisioning it first if missing

Run with the venv's python (tests/ha/setup builds it) inside a loopback-only network namespace
(HA announces mDNS on every interface). Provisioning starts HA once on a free port and, without
a browser: onboards a user, trades the auth code for an access token and that for a long-lived
token, finishes the analytics and integration onboarding steps, creates the areas, assigns the
test entities and gives the kitchen light its aliases, sets the sensors' starting values, then
stops HA (which saves the restore state) and renames the dir into place. Each test instance
copies that dir, writes its own port into secrets.yaml and starts without onboarding.
"""

import asyncio
import hashlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
VENV = pathlib.Path(sys.prefix)
CONFIG_FILES = ["configuration.yaml", "lights.yaml"]
START_DEADLINE = 120  # seconds; a first start compiles bytecode and writes .storage

AREAS = ["Kitchen", "Living Room", "Bedroom", "Hallway", "Garage"]
ASSIGNMENTS = {
    "light.kitchen_light": ("kitchen", ["Küchenlicht", "свет на кухне"]),
    "switch.coffee_maker": ("kitchen", None),
    "light.living_room_lamp": ("living_room", None),
    "light.stuck_bulb": ("bedroom", None),
    "sensor.bedroom_temperature": ("bedroom", None),
    "binary_sensor.front_door": ("hallway", None),
    "lock.front_door_lock": ("hallway", None),
    "cover.garage_door": ("garage", None),
}
# Starting values that the restore state then keeps.
SERVICES = [
    ("input_number", "set_value", {"entity_id": "input_number.bedroom_temperature_value", "value": 21.5}),
    ("input_number", "set_value", {"entity_id": "input_number.living_room_lamp_brightness", "value": 128}),
]
# Lines in HA's log that mean the offline setup is incomplete.
BAD_LOG = ["Unable to install package", "Setup failed for", "Error setting up", "Error during setup"]


def template_dir() -> pathlib.Path:
    digest = hashlib.sha256()
    for name in sorted(CONFIG_FILES + ["provision.py"]):
        digest.update(name.encode() + b"\0" + (HERE / name).read_bytes())
    return VENV / f"template-{digest.hexdigest()[:12]}"


def loopback_only() -> bool:
    lines = pathlib.Path("/proc/net/dev").read_text().splitlines()[2:]
    return [line.split(":")[0].strip() for line in lines] == ["lo"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def provision(config: pathlib.Path, port: int) -> str:
    import aiohttp

    base = f"http://127.0.0.1:{port}"
    client_id = f"{base}/"
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                async with http.get(f"{base}/api/onboarding") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"HA did not answer on {base} within {START_DEADLINE} s")
            await asyncio.sleep(0.2)

        user = {"client_id": client_id, "name": "MIRAI Test", "username": "mirai",
                "password": "mirai-test-password", "language": "en"}
        async with http.post(f"{base}/api/onboarding/users", json=user) as r:
            code = (await r.json())["auth_code"]
        form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
        async with http.post(f"{base}/auth/token", data=form) as r:
            access = (await r.json())["access_token"]
        bearer = {"Authorization": f"Bearer {access}"}
        for step, body in [("analytics", {}),
                           ("integration", {"client_id": client_id, "redirect_uri": client_id})]:
            async with http.post(f"{base}/api/onboarding/{step}", json=body, headers=bearer) as r:
                assert r.status == 200, (step, r.status, await r.text())
        for domain, service, data in SERVICES:
            async with http.post(f"{base}/api/services/{domain}/{service}", json=data,
                                 headers=bearer) as r:
                assert r.status == 200, (domain, service, r.status, await r.text())
        return await over_websocket(http, base, access)


async def over_websocket(http, base: str, access: str) -> str:
    async with http.ws_connect(f"{base}/api/websocket") as ws:
        assert (await ws.receive_json())["type"] == "auth_required"
        await ws.send_json({"type": "auth", "access_token": access})
        assert (await ws.receive_json())["type"] == "auth_ok"
        ids = iter(range(1, 1000))

        async def command(**message):
            message["id"] = next(ids)
            await ws.send_json(message)
            reply = await ws.receive_json()
            assert reply.get("success"), (message, reply)
            return reply["result"]

        token = await command(type="auth/long_lived_access_token", client_name="mirai-tests",
                              lifespan=3650)
        # Onboarding already made some default areas (Living Room, Kitchen, Bedroom).
        existing = {a["name"] for a in await command(type="config/area_registry/list")}
        for name in AREAS:
            if name not in existing:
                await command(type="config/area_registry/create", name=name)
        areas = {a["area_id"] for a in await command(type="config/area_registry/list")}
        for entity_id, (area_id, aliases) in ASSIGNMENTS.items():
            assert area_id in areas, (area_id, areas)
            update = {"entity_id": entity_id, "area_id": area_id}
            if aliases:
                update["aliases"] = aliases
            await command(type="config/entity_registry/update", **update)
        entry = await command(type="config/entity_registry/get", entity_id="light.kitchen_light")
        assert sorted(entry["aliases"]) == sorted(ASSIGNMENTS["light.kitchen_light"][1]), entry
        return token


def make(target: pathlib.Path) -> None:
    if not loopback_only():
        raise SystemExit("provision.py: run me in a loopback-only network namespace "
                         "(unshare -n, lo up, a multicast route on lo): HA announces mDNS")
    work = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in CONFIG_FILES:
        shutil.copy(HERE / name, work / name)
    port = free_port()
    (work / "secrets.yaml").write_text(f"http_port: {port}\n")
    started = time.monotonic()
    log = open(work / "provision.log", "wb")
    hass = subprocess.Popen([str(VENV / "bin/python"), "-m", "homeassistant", "-c", str(work)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        token = asyncio.run(provision(work, port))
    finally:
        hass.terminate()
        hass.wait(timeout=60)
    (work / "mirai-token").write_text(token)
    text = (work / "home-assistant.log").read_text() + (work / "provision.log").read_text()
    bad = [line for line in text.splitlines() if any(b in line for b in BAD_LOG)]
    if bad:
        raise SystemExit("provision.py: HA's log shows an incomplete setup "
                         f"(see {work}/home-assistant.log):\n" + "\n".join(bad[:20]))
    for name in ["secrets.yaml", "home-assistant.log", "home-assistant.log.1", "provision.log"]:
        (work / name).unlink(missing_ok=True)
    try:
        work.rename(target)
    except OSError:  # someone else finished first
        shutil.rmtree(work)
    print(f"provisioned {target} in {time.monotonic() - started:.1f} s", file=sys.stderr)


def main() -> None:
    if sys.argv[1:] != ["template"]:
        raise SystemExit(__doc__)
    target = template_dir()
    if not (target / "mirai-token").is_file():
        make(target)
    print(target)


if __name__ == "__main__":
    main()
