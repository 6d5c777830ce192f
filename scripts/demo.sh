#!/usr/bin/env bash
# demo.sh: the whole OS manager chain in a sandbox against the controller
# simulator, on loopback only (what `make demo` runs). It lays a /LuoYun
# tree out in the sandbox (make install DESTDIR=...), makes a floppy image
# of a luoyun.ini, starts the simulator (osm clc) and runs osmanager.sh in
# the tree: osc edits a fake root under the sandbox, without the network;
# web, webssh and osm listen on 127.0.0.1 only. Nothing outside the sandbox
# is touched. Ctrl-C stops everything it started and ends the demo (exit 0).
#
# Environment (all optional): DEMO_DIR (the sandbox; default a new
# /tmp/luoyun-demo.XXXXXX, kept afterwards), DEMO_WEB_PORT, DEMO_WEBSSH_PORT,
# DEMO_CLC_PORT (default 8080, 8001, 1369 or the next free ones),
# DEMO_TIMEOUT (stop after so many seconds), DEMO_UNTIL_REPORT=1 (stop once
# the instance has reported 2000), LUOYUN_BIN (the binaries, ./bin),
# DEMO_SHELL=login: the web terminal runs /bin/login (this machine's
# accounts; needs root) instead of the demo's login (the name demo and a
# password made for this run, printed; then a shell). Never a shell without
# a password: anyone on this machine can reach the terminal's port.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bin=${LUOYUN_BIN:-$repo/bin}
for b in floppyconf osc osm web webssh; do [ -x "$bin/$b" ] || { echo "demo: $bin/$b missing; run make first" >&2; exit 1; }; done
sb=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/luoyun-demo.XXXXXX")}
sb=$(mkdir -p "$sb" && cd "$sb" && pwd -P)
tree=$sb/LuoYun

# free PORT: the first port from PORT up that nothing listens on.
free() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
web_port=${DEMO_WEB_PORT:-$(free 8080)}
webssh_port=${DEMO_WEBSSH_PORT:-$(free 8001)}
[ "$webssh_port" = "$web_port" ] && webssh_port=$(free $((web_port + 1)))
clc_port=${DEMO_CLC_PORT:-$(free 1369)}
say() { printf 'demo: %s\n' "$*"; }

# The tree, as an appliance would have it, and a fake root for osc.
say "sandbox $sb"
make -s -C "$repo" install DESTDIR="$sb" PREFIX=/LuoYun BINS="$(printf "$bin/%s " floppyconf osc osm web webssh)" >/dev/null
rm -f "$tree/conf/luoyun.conf" # a fresh floppy read every run
mkdir -p "$sb/root/etc" "$sb/root/root"
[ -f "$sb/root/etc/shadow" ] || { printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >"$sb/root/etc/shadow"; chmod 0640 "$sb/root/etc/shadow"; }

if [ "${DEMO_SHELL:-}" = login ]; then
	shell='["/bin/login"]'
	shell_how="/bin/login of this machine: log in with one of its accounts (root and root's password);
             the demo's password hash (password: luoyun) went to the sandbox's fake root only"
else # the demo's own login, in the sandbox alone: a real instance runs /bin/login
	pw=$(cut -c1-8,10-13 /proc/sys/kernel/random/uuid) shell="[\"/bin/sh\", \"$sb/demo-login\"]"
	shell_how="log in as demo, password $pw (this demo's only; a real instance runs /bin/login)"
	(umask 077 && cat >"$sb/demo-login" <<EOF)
for _ in 1 2 3; do printf 'LuoYun demo login: ' && read -r n || exit 1
	stty -echo; printf 'Password: '; read -r p; stty echo; echo
	[ "\$n" = demo ] && [ "\$p" = $pw ] && cd '$sb' && HOME='$sb' PS1='demo\$ ' exec /bin/sh -i
	sleep 1; echo 'Login incorrect'; done
EOF
fi
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
printf 'LuoYun 2.0 demo appliance\nDemo: 1.0\n' >"$tree/build/VERSION"

key=$(cat /proc/sys/kernel/random/uuid) tag=42 cookie=demo-cookie
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

# osmanager.sh with the demo's environment (loopback only, the sandbox's
# root and floppy, no network), for stopping and starting one component.
osmanager=$sb/osmanager
printf '#!/usr/bin/env bash\nLUOYUN_DIR=%q LUOYUN_ROOT=%q LUOYUN_NO_NETWORK=1 LUOYUN_FLOPPY=%q LUOYUN_LISTEN_ADDR=127.0.0.1 exec %q "$@"\n' \
	"$tree" "$sb/root" "$sb/floppy.img" "$tree/osmanager.sh" >"$osmanager"
chmod 0755 "$osmanager"

pids=() stopped=
stop() {
	[ -n "$stopped" ] && return
	stopped=1 && trap - INT TERM
	printf '\n' && say "stopping"
	"$osmanager" stop | sed 's/^/  /'
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	say "stopped; logs and state kept in $sb"
}
trap stop EXIT
trap 'exit 0' INT # Ctrl-C is how the demo ends: stop everything, exit 0
trap 'exit 143' TERM

# The controller simulator, its lines on the terminal and in clc.log. The
# KEY goes in a file (-c), not on the command line.
printf 'KEY=%s\n' "$key" >"$sb/clc.conf"
: >"$sb/clc.log"
"$bin/osm" clc --listen "127.0.0.1:$clc_port" -c "$sb/clc.conf" --tag "$tag" \
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

reported() { grep -q "^report tag=$tag status=2000" "$sb/clc.log"; }
end=$((SECONDS + ${DEMO_TIMEOUT:-999999999}))
while :; do
	[ "${DEMO_UNTIL_REPORT:-}" = 1 ] && reported && { say "reported 2000"; break; }
	if [ "$SECONDS" -ge "$end" ]; then
		say "DEMO_TIMEOUT reached"
		reported || exit 1
		break
	fi
	sleep 0.2
done
