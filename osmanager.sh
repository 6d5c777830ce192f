#!/bin/sh
### BEGIN INIT INFO
# Provides:          luoyun-osmanager
# Required-Start:    $local_fs $network $remote_fs $syslog
# Required-Stop:     $local_fs $network $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: LuoYun OS manager
# Description:       Reads the instance configuration from the floppy,
#                    configures the system, runs the appliance's config
#                    script, then starts the appliance page (web), the web
#                    terminal (webssh) and the registrar (osm).
### END INIT INFO
#
# osmanager.sh: entry point of the LuoYun OS manager (SysV style).
#
# Usage: osmanager.sh [start|stop|restart] [web|webssh|osm ...]
#        osmanager.sh status [--json] [web|webssh|osm ...]
#        osmanager.sh osconfig | customconfig | exec web|webssh|osm
#
#   start          the boot chain: floppy -> luoyun.conf, osc, custom/scripts/config,
#                  then web, webssh and osm in the background, started together
#   start NAME...  start only these components (web, webssh, osm)
#   stop [NAME...] stop the components (all when none is named)
#   restart [NAME...]  stop, then start (the whole chain when none is named)
#   status [--json] [NAME...]  the instance's health (bin/osm status); exit 0
#                  when all of them run, 3 otherwise
#   osconfig       read the floppy and run osc (the upstart/systemd oneshot)
#   customconfig   run custom/scripts/config if it is executable
#   exec NAME      run one component in the foreground (upstart/systemd services)
#
# Environment (all optional):
#   LUOYUN_DIR          the tree (default: the directory of this script, symlinks resolved)
#   LUOYUN_ROOT         root directory osc edits (default /)
#   LUOYUN_NO_NETWORK   1: osc leaves the network alone (--no-network)
#   LUOYUN_FLOPPY       floppy device, image or directory (default: settings, /dev/fd0)
#   LUOYUN_LISTEN_ADDR  address web and webssh listen on (default all addresses)
#   LUOYUN_WEB_PORT     port of the appliance page (default: settings, 8080)
#   LUOYUN_WEBSSH_PORT  port of the web terminal (default: JSON, settings, 8001); given
#                       to webssh and to web (the page's $websshport) alike
#   LUOYUN_STOP_TIMEOUT seconds stop waits before SIGKILL (default 5)
#   LUOYUN_START_TIMEOUT seconds start waits for a daemon to be up (default 5)
#
# Each step runs through bin/osm ("osm boot --help"), which logs it with
# its outcome on stdout and in log/osmanager.log and records it in run/boot
# for status. A daemon is "started" once it says it is ready (--background);
# otherwise "failed: <its error line>". Exit status: 0 when every step
# succeeded, 1 when one failed (the others still ran where that made
# sense), 2 for a usage mistake, 3 from status when a component is not running.

# The tree: this script's directory, through symlinks (/etc/rc2.d/S99luoyun-osmanager).
self=$0
while [ -L "$self" ]; do
	l=$(readlink -- "$self")
	case $l in /*) self=$l ;; *) self=$(dirname -- "$self")/$l ;; esac
done
DIR=${LUOYUN_DIR:-$(dirname -- "$self")}
DIR=$(cd -P -- "$DIR" && pwd -P) || exit 1
BIN=$DIR/bin RUN=$DIR/run LOGS=$DIR/log CONF=$DIR/conf/luoyun.conf SCRIPTS=$DIR/custom/scripts
ROOT=${LUOYUN_ROOT:-/}
SET=$DIR/custom/osmanager.toml
[ -f "$SET" ] || SET= # none: the built-in defaults
NEEDS=                # what osm needs to start: luoyun.conf, in the chain
NONET=
[ "${LUOYUN_NO_NETWORK:-}" = 1 ] && NONET=--no-network
export LUOYUN_DIR="$DIR" LUOYUN_ROOT="$ROOT"
REC=
boot() { "$BIN/osm" boot --dir "$DIR" $REC "$@"; }

# The steps, in the order of the chain. Each runs a command through
# "osm boot run" (to its end, with a time limit) or "osm boot start" (a
# daemon, until it is ready). Add a step by writing a function here and
# calling it from chain below.

# floppy -> conf/luoyun.conf. On failure, an existing luoyun.conf is kept.
floppy() {
	boot run floppy --timeout 60s --keep "$CONF" --last -- "$BIN/floppyconf" -c "$CONF" \
		${LUOYUN_FLOPPY:+-d "$LUOYUN_FLOPPY"} ${SET:+--settings "$SET"}
}
# luoyun.conf -> the system under LUOYUN_ROOT (password, ssh key, DNS, NICs).
osc() {
	boot run osc --timeout 120s --needs "$CONF" -- "$BIN/osc" -c "$CONF" --root "$ROOT" \
		$NONET ${SET:+--settings "$SET"}
}
# The appliance's own script, when executable; no time limit.
config() { boot run config --optional --cd "$DIR" -- "$SCRIPTS/config"; }

# The daemons: "web boot start web --" starts web; "web exec" runs it here.
web() {
	"$@" "$BIN/web" --pidfile "$RUN/web.pid" -c "$ICONF" -l "$LOGS/lyweb.log" -w "$DIR/custom/www" \
		--build "$DIR/build" --state "$RUN/osm.json" ${LUOYUN_WEB_PORT:+-p "$LUOYUN_WEB_PORT"} \
		${LUOYUN_WEBSSH_PORT:+--webssh-port "$LUOYUN_WEBSSH_PORT"} \
		${LUOYUN_LISTEN_ADDR:+--listen-addr "$LUOYUN_LISTEN_ADDR"} ${SET:+--settings "$SET"}
}
webssh() {
	"$@" "$BIN/webssh" --pidfile "$RUN/webssh.pid" -c "$ICONF" -l "$LOGS/webssh.log" \
		${LUOYUN_WEBSSH_PORT:+-p "$LUOYUN_WEBSSH_PORT"} \
		${LUOYUN_LISTEN_ADDR:+--listen-addr "$LUOYUN_LISTEN_ADDR"} ${SET:+--settings "$SET"}
}
osm() {
	"$@" "$BIN/osm" --pidfile "$RUN/osm.pid" -c "$CONF" -l "$LOGS/luoyun.log" -s "$SCRIPTS" \
		--state "$RUN/osm.json" ${SET:+--settings "$SET"}
}

# start_daemons NAME...: start them together, wait for all of them.
start_daemons() {
	pids='' src=0 ICONF=$CONF # web and webssh serve without a luoyun.conf too
	[ -e "$CONF" ] || ICONF=/dev/null
	for n; do
		needs=''
		[ "$n" = osm ] && needs=$NEEDS
		$n boot start "$n" --timeout "${LUOYUN_START_TIMEOUT:-5}s" --needs "$needs" -- &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || src=1; done
	return "$src"
}

chain() {
	REC=--record rc=0
	boot begin --root "$ROOT"
	floppy || rc=1
	osc || rc=1
	config || rc=1
	NEEDS=$CONF
	start_daemons web webssh osm || rc=1
	boot end "$rc"
}
# The first half of the chain, for upstart and systemd (init/), which then
# run customconfig and each daemon with exec.
osconfig() {
	REC=--record rc=0
	boot begin --osconfig --root "$ROOT"
	floppy || rc=1
	osc || rc=1
	boot end --osconfig "$rc"
}

check_names() {
	for n; do
		case $n in web | webssh | osm) ;; *)
			echo "osmanager.sh: unknown component '$n' (web, webssh, osm)" >&2
			exit 2
			;;
		esac
	done
}
start() { if [ $# -gt 0 ]; then start_daemons "$@"; else chain; fi; }
stop() { "$BIN/osm" stop --dir "$DIR" --timeout "${LUOYUN_STOP_TIMEOUT:-5}s" "$@"; }

cmd=${1:-start}
[ $# -gt 0 ] && shift
case $cmd in
-h | --help | help)
	sed -n '/^# Usage:/,/^# sense), 2 for/s/^# \{0,1\}//p' "$self"
	exit 0
	;;
start | stop | restart | force-reload | status | osconfig | customconfig | exec) ;;
*)
	echo "osmanager.sh: unknown command '$cmd'" >&2
	echo "usage: osmanager.sh [start|stop|restart|status] [web|webssh|osm ...]; osmanager.sh --help for more" >&2
	exit 2
	;;
esac
[ -x "$BIN/osm" ] || {
	echo "osmanager.sh: $BIN/osm is missing or not executable: it runs every step" >&2
	exit 1
}
case $cmd in
start) check_names "$@" && start "$@" ;;
stop) check_names "$@" && stop "$@" ;;
restart | force-reload) check_names "$@" && stop "$@" && start "$@" ;;
status) exec "$BIN/osm" status --dir "$DIR" --state "$RUN/osm.json" "$@" ;;
osconfig) osconfig ;;
customconfig) REC=--record && config ;;
exec)
	[ $# -eq 1 ] || { echo "usage: osmanager.sh exec web|webssh|osm" >&2 && exit 2; }
	ICONF=$CONF && [ -e "$CONF" ] || ICONF=/dev/null
	check_names "$1" && mkdir -p "$LOGS" "$RUN" && $1 exec
	;;
esac
