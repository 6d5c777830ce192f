#!/usr/bin/env bash
# Compare the built-in web terminal (cmd/webssh) with Debian's shellinabox
# side by side on loopback, both running /bin/sh, both measured by the
# same headless-Chromium probe (bench/termbench): keystroke echo latency
# (keydown -> echoed character in the DOM, and keydown -> echo received by
# the page, p50/p99) and output throughput (`seq 1 N` until the last line
# is in the DOM); and by the same protocol client without a browser
# (bench/echoprobe): keystroke echo round trip, p50/p99. First, the
# command echo a user feels (Enter of `echo abNNNN` -> its output in the
# DOM, median/p90), both servers in one browser, commands alternating,
# ECHO_RUNS runs of CMDS commands each.
#
# Usage: bench/webssh.sh            (from the repository root)
# Environment: LINES_WEBSSH (200000), LINES_SIAB (20000: shellinabox needs
# minutes for more), KEYS (200, in the browser), PROBE_KEYS (1000, without
# a browser), CMDS (30), ECHO_RUNS (2), ECHO_ONLY=1 to stop after the
# command echo, SKIP_SIAB=1 to measure webssh alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

LINES_WEBSSH=${LINES_WEBSSH:-200000}
LINES_SIAB=${LINES_SIAB:-20000}
KEYS=${KEYS:-200}
PROBE_KEYS=${PROBE_KEYS:-1000}
CMDS=${CMDS:-30}
ECHO_RUNS=${ECHO_RUNS:-2}
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

CGO_ENABLED=0 go build -trimpath -tags nethttpomithttp2 -ldflags '-s -w' -o "$tmp/webssh" ./cmd/webssh
go build -o "$tmp/termbench" ./bench/termbench
go build -o "$tmp/echoprobe" ./bench/echoprobe

printf '[webssh]\ncommand = ["/bin/sh"]\n' > "$tmp/settings.toml"
: > "$tmp/luoyun.conf"
wport=$(free_port)
"$tmp/webssh" --settings "$tmp/settings.toml" -c "$tmp/luoyun.conf" -l "$tmp/webssh.log" \
  --listen-addr 127.0.0.1 -p "$wport" &
wpid=$!; pids+=("$wpid")
wait_port "$wport"
sleep 1
echo "webssh idle RSS: $(rss_kb "$wpid") kB (binary $(stat -c %s "$tmp/webssh") bytes)"

start_siab() {
  sport=$(free_port)
  shellinaboxd -t --localhost-only -p "$sport" --no-beep \
    -s "/:$(id -un):$(id -gn):/:/bin/sh" >"$tmp/siab.log" 2>&1 &
  spid=$!; pids+=("$spid")
  wait_port "$sport"
  sleep 1
}
siab=0
if [ -z "${SKIP_SIAB:-}" ]; then
  if command -v shellinaboxd >/dev/null; then
    start_siab; siab=1
    echo "shellinaboxd idle RSS: $(rss_kb "$spid") kB"
  else
    echo "shellinaboxd not installed (apt-get install shellinabox); skipping it" >&2
  fi
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(chromium --version 2>/dev/null || echo chromium), load $(cut -d' ' -f1-3 /proc/loadavg)"
vs=()
if [ "$siab" = 1 ]; then vs=(-vs "shellinabox=http://127.0.0.1:$sport/"); fi
for run in $(seq "$ECHO_RUNS"); do
  echo "command echo, run $run:"
  "$tmp/termbench" -name webssh -url "http://127.0.0.1:$wport/" "${vs[@]}" -cmds "$CMDS" -keys 0 -lines 0
done
if [ -n "${ECHO_ONLY:-}" ]; then exit 0; fi
"$tmp/termbench" -name webssh -url "http://127.0.0.1:$wport/" -cmds 0 -keys "$KEYS" -lines "$LINES_WEBSSH"
echo "webssh RSS after the run: $(rss_kb "$wpid") kB"
"$tmp/echoprobe" -kind webssh -url "http://127.0.0.1:$wport/" -keys "$PROBE_KEYS"

if [ "$siab" = 1 ]; then
  "$tmp/echoprobe" -kind shellinabox -url "http://127.0.0.1:$sport/" -keys "$PROBE_KEYS"
  "$tmp/termbench" -name shellinabox -url "http://127.0.0.1:$sport/" -cmds 0 -keys "$KEYS" -lines "$LINES_SIAB" -timeout 30m
fi
