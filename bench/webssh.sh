#!/usr/bin/env bash
# Compare the built-in web terminal (cmd/webssh) with Debian's shellinabox
# side by side on loopback, both running /bin/sh, both measured by the
# same headless-Chromium probe (bench/termbench): keystroke echo latency
# (keydown -> echoed character in the DOM, and keydown -> echo received by
# the page, p50/p99) and output throughput (`seq 1 N` until the last line
# is in the DOM); and by the same protocol client without a browser
# (bench/echoprobe): keystroke echo round trip, p50/p99. First, the
# command echo a user feels (Enter of `echo abNNNN` -> its output in the
# DOM, median/p90), webssh and shellinabox in one browser, commands
# alternating, ECHO_RUNS runs of CMDS commands each, direct and through
# nginx.
# Each terminal is measured directly and through nginx holding exactly the
# LuoYun front end's proxy directives (bench/nginxconf, internal/nginxtest),
# as users of a cloud reach it; webssh's page then uses its HTTP transport.
# Pages are opened by host name over plain http, as users open
# http://IP:8001 or the front end's URL (not as 127.0.0.1/localhost, which
# browsers treat as a secure context): Chromium resolves instance.test and
# siab.test to 127.0.0.1 (termbench -resolve).
#
# Usage: bench/webssh.sh            (from the repository root)
# Environment: LINES_WEBSSH (200000), LINES_PROXY (50000: webssh through
# nginx), LINES_SIAB (20000: shellinabox needs minutes for more), KEYS
# (200, in the browser), PROBE_KEYS (1000, without a browser), CMDS (30),
# ECHO_RUNS (2), ECHO_FLAGS (more termbench flags for the command echo,
# e.g. "-pause 100ms" or "-disable-features DeferRendererTasksAfterInput",
# see docs/webssh.md), ECHO_ONLY=1 to stop after the command echo, SKIP_SIAB=1
# to measure webssh alone, SKIP_PROXY=1 to leave nginx out, WEBSSH_BIN=FILE
# to measure that webssh binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

LINES_WEBSSH=${LINES_WEBSSH:-200000}
LINES_PROXY=${LINES_PROXY:-50000}
LINES_SIAB=${LINES_SIAB:-20000}
NGINX=${NGINX:-/usr/sbin/nginx}
KEYS=${KEYS:-200}
PROBE_KEYS=${PROBE_KEYS:-1000}
CMDS=${CMDS:-30}
ECHO_RUNS=${ECHO_RUNS:-2}
read -r -a echo_flags <<< "${ECHO_FLAGS:-}"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# proxy NAME BACKEND_PORT: start nginx like the cloud's front end in front
# of the port; sets proxy_port (not a command substitution: the pid must
# reach cleanup).
proxy() {
  local d="$tmp/nginx-$1"
  proxy_port=$(free_port)
  mkdir -p "$d"
  "$tmp/nginxconf" -dir "$d" -listen "127.0.0.1:$proxy_port" -backend "127.0.0.1:$2" > "$d/nginx.conf"
  "$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stderr" 2>&1 &
  pids+=("$!")
  wait_port "$proxy_port"
}
use_proxy() { [ -z "${SKIP_PROXY:-}" ] && [ -x "$NGINX" ]; }
if [ -z "${SKIP_PROXY:-}" ] && [ ! -x "$NGINX" ]; then
  echo "no $NGINX (apt-get install nginx-light): measuring without the proxy" >&2
fi
# Figures go to the screen and to a summary printed side by side at the end.
summary="$tmp/summary"
: > "$summary"
# The names the pages are opened by (plain http, not a secure context).
W=instance.test S=siab.test
tb() { "$tmp/termbench" -resolve "$W=127.0.0.1,$S=127.0.0.1" "$@" | tee -a "$summary"; }

if [ -n "${WEBSSH_BIN:-}" ]; then cp "$WEBSSH_BIN" "$tmp/webssh"
else CGO_ENABLED=0 go build -trimpath -tags nethttpomithttp2 -ldflags '-s -w' -o "$tmp/webssh" ./cmd/webssh; fi
go build -o "$tmp/termbench" ./bench/termbench
go build -o "$tmp/echoprobe" ./bench/echoprobe
go build -o "$tmp/nginxconf" ./bench/nginxconf

printf '[webssh]\ncommand = ["/bin/sh"]\nallowed_hosts = ["instance.test"]\n' > "$tmp/settings.toml"
: > "$tmp/luoyun.conf"
wport=$(free_port)
"$tmp/webssh" --settings "$tmp/settings.toml" -c "$tmp/luoyun.conf" -l "$tmp/webssh.log" \
  --listen-addr 127.0.0.1 -p "$wport" &
wpid=$!; pids+=("$wpid")
wait_port "$wport"
sleep 1
echo "webssh idle RSS: $(rss_kb "$wpid") kB (binary $(stat -c %s "$tmp/webssh") bytes)"

siab=0
if [ -z "${SKIP_SIAB:-}" ] && ! command -v shellinaboxd >/dev/null; then
  echo "shellinaboxd not installed (apt-get install shellinabox); skipping it" >&2
elif [ -z "${SKIP_SIAB:-}" ]; then
  sport=$(free_port)
  shellinaboxd -t --localhost-only -p "$sport" --no-beep \
    -s "/:$(id -un):$(id -gn):/:/bin/sh" >"$tmp/siab.log" 2>&1 &
  spid=$!; pids+=("$spid")
  wait_port "$sport"
  sleep 1
  siab=1
  echo "shellinaboxd idle RSS: $(rss_kb "$spid") kB"
fi
wproxy=''; sproxy=''
if use_proxy; then
  proxy webssh "$wport"; wproxy=$proxy_port
  if [ "$siab" = 1 ]; then proxy siab "$sport"; sproxy=$proxy_port; fi
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(chromium --version 2>/dev/null || echo chromium), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Command echo: webssh and shellinabox alternating in one browser.
for run in $(seq "$ECHO_RUNS"); do
  vs=()
  if [ "$siab" = 1 ]; then vs=(-vs "shellinabox=http://$S:$sport/"); fi
  echo "command echo, direct, run $run:"
  tb -name webssh -url "http://$W:$wport/" "${vs[@]}" "${echo_flags[@]}" -cmds "$CMDS" -keys 0 -lines 0
  if [ -n "$wproxy" ]; then
    vs=()
    if [ -n "$sproxy" ]; then vs=(-vs "siab+nginx=http://$S:$sproxy/"); fi
    echo "command echo, through nginx, run $run:"
    tb -name webssh+nginx -url "http://$W:$wproxy/" "${vs[@]}" "${echo_flags[@]}" -cmds "$CMDS" -keys 0 -lines 0
  fi
done
if [ -n "${ECHO_ONLY:-}" ]; then exit 0; fi

tb -name webssh -url "http://$W:$wport/" -cmds 0 -keys "$KEYS" -lines "$LINES_WEBSSH"
echo "webssh RSS after the run: $(rss_kb "$wpid") kB"
"$tmp/echoprobe" -kind webssh -url "http://127.0.0.1:$wport/" -keys "$PROBE_KEYS"
if [ -n "$wproxy" ]; then
  tb -name webssh+nginx -url "http://$W:$wproxy/" -cmds 0 -keys "$KEYS" -lines "$LINES_PROXY"
fi
if [ "$siab" = 1 ]; then
  "$tmp/echoprobe" -kind shellinabox -url "http://127.0.0.1:$sport/" -keys "$PROBE_KEYS"
  tb -name shellinabox -url "http://$S:$sport/" -cmds 0 -keys "$KEYS" -lines "$LINES_SIAB" -timeout 30m
  if [ -n "$sproxy" ]; then
    tb -name siab+nginx -url "http://$S:$sproxy/" -cmds 0 -keys "$KEYS" -lines "$LINES_SIAB" -timeout 30m
  fi
fi
echo
echo "side by side (direct, and +nginx: through the cloud front end's proxy):"
grep ' command echo ' "$summary" || true
grep ' echo p50 ' "$summary" || true
grep ' on the wire ' "$summary" || true
grep -E ' transport | page ' "$summary" | awk '!seen[$0]++' || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
