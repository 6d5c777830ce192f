#!/usr/bin/env bash
# demo.sh: run the whole OS manager chain in a sandbox against the
# controller simulator, on loopback only (what `make demo` runs).
#
# It lays a /LuoYun tree out in a sandbox directory (make install
# DESTDIR=...), writes a luoyun.ini and a floppy image of it
# (floppyconf --make), starts the controller simulator (osm clc) on
# 127.0.0.1, and runs osmanager.sh with LUOYUN_DIR in the sandbox: floppy
# -> luoyun.conf, osc editing a fake root under the sandbox (--root, no
# network), then the page server, the web terminal and the registrar,
# listening on 127.0.0.1 only. Nothing outside the sandbox is touched.
# It prints the page and web shell URLs and the simulator's lines until
# Ctrl-C, which stops everything it started and ends the demo (exit 0:
# that is how it ends, so `make demo` has no error to report).
#
# Environment (all optional):
#   DEMO_DIR       sandbox directory (default: a new /tmp/luoyun-demo.XXXXXX, kept afterwards)
#   DEMO_WEB_PORT, DEMO_WEBSSH_PORT, DEMO_CLC_PORT
#                  ports on 127.0.0.1 (default: 8080, 8001, 1369, or the next free ones)
#   DEMO_TIMEOUT   stop by itself after this many seconds (default: run until Ctrl-C)
#   DEMO_UNTIL_REPORT=1  stop by itself once the instance has reported 2000
#   LUOYUN_BIN     directory of the built binaries (default: ./bin)
#   DEMO_SHELL     what the web terminal runs: "login" (/bin/login, as on a real
#                  instance: log in with an account of this machine; needs root)
#                  or "cat" (a harmless echo); default login when run as root,
#                  else cat. Never a shell without a login: anyone on this
#                  machine can reach the terminal's port.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bin=${LUOYUN_BIN:-$repo/bin}
for b in floppyconf osc osm web webssh; do
	[ -x "$bin/$b" ] || { echo "demo: $bin/$b missing; run make first" >&2; exit 1; }
done

sb=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/luoyun-demo.XXXXXX")}
mkdir -p "$sb"
sb=$(cd "$sb" && pwd -P)
tree=$sb/LuoYun

# free PORT: the first port from PORT up that nothing listens on.
free() {
	local p=$1
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
	echo "$p"
}
web_port=${DEMO_WEB_PORT:-$(free 8080)}
webssh_port=${DEMO_WEBSSH_PORT:-$(free 8001)}
[ "$webssh_port" = "$web_port" ] && webssh_port=$(free $((web_port + 1)))
clc_port=${DEMO_CLC_PORT:-$(free 1369)}

say() { printf 'demo: %s\n' "$*"; }

# The tree, as an appliance would have it.
say "sandbox $sb"
bins=
for b in floppyconf osc osm web webssh; do bins="$bins $bin/$b"; done
make -s -C "$repo" install DESTDIR="$sb" PREFIX=/LuoYun BINS="${bins# }" >/dev/null
rm -f "$tree/conf/luoyun.conf" # a fresh floppy read every run

# A fake root for osc: etc/shadow with a root entry, root's home.
mkdir -p "$sb/root/etc" "$sb/root/root"
[ -f "$sb/root/etc/shadow" ] || { printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >"$sb/root/etc/shadow"; chmod 0640 "$sb/root/etc/shadow"; }

case ${DEMO_SHELL:-$([ "$(id -u)" = 0 ] && echo login || echo cat)} in
login)
	shell='["/bin/login"]'
	shell_how="/bin/login of this machine: log in with one of its accounts (root and root's password);
             the demo's password hash (password: luoyun) went to the sandbox's fake root only"
	;;
*)
	shell='["/bin/sh", "-c", "echo \"LuoYun demo terminal: a real instance asks for a login here. Type; it echoes.\"; exec cat"]'
	shell_how="a harmless echo (a real instance asks for a login there; as root, DEMO_SHELL=login gives /bin/login)"
	;;
esac
cat >"$tree/custom/osmanager.toml" <<EOF
# Written by scripts/demo.sh for the sandbox.
[osm]
status_interval = "2s"
reconnect_min = "200ms"
reconnect_max = "2s"
state_file = "$tree/run/osm.json"

[web]
port = $web_port

[webssh]
port = $webssh_port
command = $shell

[floppy]
device = "$sb/floppy.img"
EOF
cat >"$tree/build/VERSION" <<EOF
LuoYun 2.0 demo appliance
Demo: 1.0
EOF

key=$(cat /proc/sys/kernel/random/uuid)
tag=42
cookie=demo-cookie
# shellcheck disable=SC2016 # a literal crypt(3) hash
hash='$6$luoyundemo$Mg92CifMK8Rrfsbqik5KWKL6b4mfdyrpF25NdR9O/eVHzsOMyfMHoL/DpkDeQdj7C1gd/nmVkYwLba1t7iMkR.' # password: luoyun
pubkey='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILtieEcyq8F4ZcNc2RDHZEVTToeDbHbbgvo1xej6jZ3R demo@luoyun'
cat >"$sb/luoyun.ini" <<EOF
CLC_IP=127.0.0.1
CLC_PORT=$clc_port
CLC_MCAST_IP=228.0.0.1
CLC_MCAST_PORT=1369
TAG=$tag
KEY=$key
JSON={"cookie": "$cookie", "webssh": {"status": "enable", "port": $webssh_port}, "domain": {"ip": "127.0.0.1", "name": "127.0.0.1"}, "nameservers": "192.0.2.53 192.0.2.54", "passwd_hash": "$hash", "public_key": "$pubkey"}
EOF
"$bin/floppyconf" --make "$sb/floppy.img" -i "$sb/luoyun.ini" >/dev/null
say "floppy image $sb/floppy.img"

# sq WORD: WORD quoted for sh.
sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# osmanager.sh with the demo's environment, so that stopping and starting
# one component keeps it as the demo runs it: on loopback only, the
# sandbox's root and floppy, the network left alone.
osmanager=$sb/osmanager
cat >"$osmanager" <<EOF
#!/bin/sh
# osmanager.sh of the demo's sandbox, with the demo's environment.
LUOYUN_DIR=$(sq "$tree") LUOYUN_ROOT=$(sq "$sb/root") LUOYUN_NO_NETWORK=1 \\
LUOYUN_FLOPPY=$(sq "$sb/floppy.img") LUOYUN_LISTEN_ADDR=127.0.0.1 \\
	exec $(sq "$tree/osmanager.sh") "\$@"
EOF
chmod 0755 "$osmanager"

pids=()
stopped=
stop() {
	[ -n "$stopped" ] && return
	stopped=1
	trap - INT TERM
	echo
	say "stopping"
	"$osmanager" stop | sed 's/^/  /'
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	say "stopped; logs and state kept in $sb"
}
trap stop EXIT
# Ctrl-C is how the demo ends: stop everything, exit 0.
trap 'exit 0' INT
trap 'exit 143' TERM

# The controller simulator, its lines on the terminal and in clc.log.
: >"$sb/clc.log"
"$bin/osm" clc --listen "127.0.0.1:$clc_port" --key "$key" --tag "$tag" \
	> >(tee "$sb/clc.log" | sed -u 's/^/clc: /') 2>"$sb/clc.err" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening' "$sb/clc.log" && break; sleep 0.05; done
grep -q '^listening' "$sb/clc.log" || { say "the simulator did not start:"; cat "$sb/clc.err"; exit 1; }

say "osmanager.sh start"
"$osmanager" start | sed 's/^/  /' || true
echo "  osc edited: $(cd "$sb/root" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"

cat <<EOF

  page:      http://127.0.0.1:$web_port/
  with cookie: http://127.0.0.1:$web_port/?cookie=$cookie
  web shell: http://127.0.0.1:$webssh_port/
             $shell_how
  logs:      $tree/log/   state: $tree/run/osm.json
  health:    $osmanager status   (--json for tools)
  stop one component: $osmanager stop web   (start web to bring it back; loopback only, as now)

  Ctrl-C stops everything.

EOF

deadline=
[ -n "${DEMO_TIMEOUT:-}" ] && deadline=$((SECONDS + DEMO_TIMEOUT))
while :; do
	if [ "${DEMO_UNTIL_REPORT:-}" = 1 ] && grep -q "^report tag=$tag status=2000" "$sb/clc.log"; then
		say "reported 2000"
		break
	fi
	if [ -n "$deadline" ] && [ "$SECONDS" -ge "$deadline" ]; then
		say "DEMO_TIMEOUT reached"
		grep -q "^report tag=$tag status=2000" "$sb/clc.log" || exit 1
		break
	fi
	sleep 0.2
done
