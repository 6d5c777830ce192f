#!/usr/bin/env bash
# bench/web.sh: requests/s and p99 latency of the appliance page served by
# `web`, by nginx (Debian nginx-light) and by Python's http.server, side by
# side on loopback ports, each driven by wrk for a bounded time.
#
# Usage: bench/web.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS] [-r ROUNDS]
#   (defaults 5, 50, 2, 3; environment WEB_BIN=path/to/web to skip the
#   build, KEEP=1 to keep the temporary directory with wrk's output)
#
# Each round drives web, nginx and python in turn; the figures printed are
# the medians over the rounds, which tames the noise of a shared machine.
#
# All three serve the same bytes: the withcookie page as rendered by web
# (custom/www/withcookie/index.html), written out for nginx and Python.
# web and nginx both write an access log line per request to a file.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

dur=5 conns=50 threads=2 rounds=3
while getopts "d:c:t:r:h" o; do
  case $o in
    d) dur=$OPTARG ;;
    c) conns=$OPTARG ;;
    t) threads=$OPTARG ;;
    r) rounds=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/web.sh: $tool is not installed (apt-get install wrk nginx-light python3 curl)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/webbench.XXXXXX)
chmod 755 "$tmp" # nginx workers run as an unprivileged user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

# free_port prints a TCP port nobody listens on.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL: poll until it answers, at most 10 s.
wait_up() {
  for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "bench/web.sh: $1 did not come up" >&2; exit 1
}

bin=${WEB_BIN:-}
if [ -z "$bin" ]; then
  bin=$tmp/web
  CGO_ENABLED=0 go build -trimpath -tags nethttpomithttp2 -ldflags '-s -w' -o "$bin" ./cmd/web
fi

cookie=bench-cookie-0123456789
mkdir -p "$tmp/conf" "$tmp/log" "$tmp/static"
printf 'TAG=1\nKEY=bench-key-not-secret\nJSON={"cookie": "%s", "domain": {"name": "app.example.com"}, "webssh": {"status": "enable", "port": 8001}}\n' "$cookie" > "$tmp/conf/luoyun.conf"

web_port=$(free_port)
"$bin" -c "$tmp/conf/luoyun.conf" -l "$tmp/log/lyweb.log" -w custom/www --build build \
  --state "$tmp/osm.json" --settings /dev/null --listen-addr 127.0.0.1 "$web_port" > "$tmp/web.out" 2>&1 &
pids+=($!)
web_pid=$!
web_url="http://127.0.0.1:$web_port/?cookie=$cookie"
wait_up "$web_url"
curl -fsS -o "$tmp/static/index.html" "$web_url"
web_idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$web_pid/status")
web_idle_anon=$(awk '/RssAnon/ {print $2}' "/proc/$web_pid/status")

nginx_port=$(free_port)
cat > "$tmp/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/log/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $tmp/log/nginx-access.log;
  client_body_temp_path $tmp/nginx-body;
  proxy_temp_path $tmp/nginx-proxy;
  fastcgi_temp_path $tmp/nginx-fastcgi;
  uwsgi_temp_path $tmp/nginx-uwsgi;
  scgi_temp_path $tmp/nginx-scgi;
  types { text/html html; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/static;
    index index.html;
    add_header Cache-Control no-store;
  }
}
NGINX
nginx -c "$tmp/nginx.conf" -e "$tmp/log/nginx-error.log" &
pids+=($!)
nginx_url="http://127.0.0.1:$nginx_port/?cookie=$cookie"
wait_up "$nginx_url"

py_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/static" "$py_port" > "$tmp/log/python.log" 2>&1 &
pids+=($!)
py_url="http://127.0.0.1:$py_port/?cookie=$cookie"
wait_up "$py_url"

# Same bytes everywhere?
for u in "$nginx_url" "$py_url"; do
  curl -fsS "$u" | cmp -s - "$tmp/static/index.html" || { echo "bench/web.sh: $u serves different bytes" >&2; exit 1; }
done

# to_ms VALUE: wrk latency ("812.00us", "2.31ms", "1.02s") in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}

# drive NAME URL ROUND: run wrk, print "rate p99ms".
drive() {
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"${dur}s" --latency "$2")
  echo "$out" > "$tmp/wrk-$1-$3.txt"
  if grep -q 'Non-2xx' <<<"$out"; then echo "bench/web.sh: $1 answered errors:" >&2; echo "$out" >&2; exit 1; fi
  echo "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out") $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
}

# median: the middle of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "page: $(wc -c < "$tmp/static/index.html") bytes; wrk -t$threads -c$conns -d${dur}s --latency, $rounds rounds, medians; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
for name in web nginx python; do : > "$tmp/$name.rates"; : > "$tmp/$name.p99"; done
for r in $(seq "$rounds"); do
  for name in web nginx python; do
    case $name in web) u=$web_url ;; nginx) u=$nginx_url ;; python) u=$py_url ;; esac
    read -r rate p99 < <(drive "$name" "$u" "$r")
    echo "$rate" >> "$tmp/$name.rates"; echo "$p99" >> "$tmp/$name.p99"
    printf '  round %d %-7s %10.0f req/s  p99 %8s ms\n' "$r" "$name" "$rate" "$p99"
  done
done
web_rss=$(awk '/VmRSS/ {print $2}' "/proc/$web_pid/status")
web_rate=$(median < "$tmp/web.rates"); web_p99=$(median < "$tmp/web.p99")
ngx_rate=$(median < "$tmp/nginx.rates"); ngx_p99=$(median < "$tmp/nginx.p99")
py_rate=$(median < "$tmp/python.rates"); py_p99=$(median < "$tmp/python.p99")

printf '%-8s %12s %10s\n' server "requests/s" "p99 ms"
printf '%-8s %12.0f %10s\n' web "$web_rate" "$web_p99"
printf '%-8s %12.0f %10s\n' nginx "$ngx_rate" "$ngx_p99"
printf '%-8s %12.0f %10s\n' python "$py_rate" "$py_p99"
awk -v w="$web_rate" -v n="$ngx_rate" -v p="$py_rate" 'BEGIN {
  printf "web/nginx  %.2f  (target >= 0.50)\n", w / n
  printf "web/python %.1f  (target >= 10)\n", w / p }'
echo "web RSS: idle ${web_idle_rss} KiB (${web_idle_anon} KiB anonymous), after the runs ${web_rss} KiB"
