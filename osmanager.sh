#!/bin/sh
### BEGIN INIT INFO
# Provides:          luoyun-osmanager
# Required-Start:    $local_fs $network $remote_fs $syslog
# Required-Stop:     $local_fs $network $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: LuoYun OS manager
# Description:       Floppy, system configuration, then web, webssh and osm.
### END INIT INFO
# osmanager.sh: entry point of the LuoYun OS manager (SysV style).
#
# Usage: osmanager.sh [start|stop|restart] [web|webssh|osm ...]
#        osmanager.sh status [--json] [web|webssh|osm ...]
#        osmanager.sh osconfig | customconfig | exec web|webssh|osm
#
#   start          the chain: floppy -> luoyun.conf, osc, custom/scripts/config,
#                  then web, webssh and osm, started together
#   start NAME...  start only these components; stop [NAME...] stop them (all
#                  when none is named); restart [NAME...] stop, then start
#   status [--json] [NAME...]  the instance's health (bin/osm status)
#   osconfig       floppy and osc only (the upstart/systemd oneshot)
#   customconfig   custom/scripts/config only, if it is executable
#   exec NAME      run one component in the foreground (upstart/systemd services)
#
# Environment (all optional): LUOYUN_DIR (the tree; default this script's
# directory, links resolved), LUOYUN_ROOT (the root osc edits, /),
# LUOYUN_NO_NETWORK=1 (osc --no-network), LUOYUN_FLOPPY (device, image or
# directory), LUOYUN_LISTEN_ADDR (of web and webssh), LUOYUN_WEB_PORT,
# LUOYUN_WEBSSH_PORT (to webssh and web alike), LUOYUN_START_TIMEOUT and
# LUOYUN_STOP_TIMEOUT (seconds a daemon has to be up, 30; to stop, 5).
#
# Each step runs through bin/osc ("osc boot --help"), which logs it with
# its outcome on stdout and in log/osmanager.log and records it in run/boot
# for status. A daemon is "started" once it says it is ready; otherwise
# "failed: <its error line>". Exit status: 0 when every step succeeded, 1
# when one failed (the others still ran where that made sense), 2 for a
# usage mistake, 3 from status when a component is not running.

self=$0 # through links: /etc/rc2.d/S99luoyun-osmanager -> /LuoYun/osmanager.sh
while [ -L "$self" ]; do
	l=$(readlink -- "$self")
	case $l in /*) self=$l ;; *) self=$(dirname -- "$self")/$l ;; esac
done
DIR=$(cd -P -- "${LUOYUN_DIR:-$(dirname -- "$self")}" && pwd -P) || exit 1
BIN=$DIR/bin RUN=$DIR/run LOGS=$DIR/log CONF=$DIR/conf/luoyun.conf SCRIPTS=$DIR/custom/scripts
ROOT=${LUOYUN_ROOT:-/}
SET='' NONET='' REC='' NEEDS='' PREV='' OC='' # REC: --record in run/boot; NEEDS: what osm needs
UP=--timeout=${LUOYUN_START_TIMEOUT:-30}s # a daemon's time to be ready
[ -f "$DIR/custom/osmanager.toml" ] && SET=$DIR/custom/osmanager.toml # else the defaults
[ "${LUOYUN_NO_NETWORK:-}" = 1 ] && NONET=--no-network
export LUOYUN_DIR="$DIR" LUOYUN_ROOT="$ROOT"
boot() { "$BIN/osc" boot --dir "$DIR" $REC "$@"; }
# steps STEP...: the steps, in this order, in one bin/osc process ("osc boot --help"),
# which runs the tree's own floppyconf and osc inside it, other commands as processes.
steps() { "$@" boot; }

# The steps. Each adds itself, after a ";", to the command ("$@") that runs the steps
# before it: "osc boot run" (to its end) or "osc boot start" (a daemon, until ready;
# daemons next to each other start together). Add a step: a function here, named in chain.
begin() { "$@" \; begin ${OC:+"$OC"} --root "$ROOT"; }
end() { "$@" \; end ${OC:+"$OC"}; }
settings() { "$@" \; settings; }
# floppy -> conf/luoyun.conf (an existing one kept when that fails); PREV: its TAG before.
floppy() {
	[ -f "$CONF" ] && while IFS= read -r l || [ -n "$l" ]; do
		case $l in TAG=*) PREV=${l#TAG=} ;; esac
	done <"$CONF"
	"$@" \; run floppy --timeout 60s --keep "$CONF" --last -- "$BIN/floppyconf" -c "$CONF" \
		${LUOYUN_FLOPPY:+-d "$LUOYUN_FLOPPY"} ${SET:+--settings "$SET"}
}
# luoyun.conf -> the system under LUOYUN_ROOT (password, ssh key, DNS, NICs).
osc() {
	"$@" \; run osc --timeout 120s --needs "$CONF" -- "$BIN/osc" -c "$CONF" --root "$ROOT" \
		--previous-tag "$PREV" $NONET ${SET:+--settings "$SET"}
}
# The appliance's own script, when it is executable; no time limit.
config() { "$@" \; run config --optional --cd "$DIR" -- "$SCRIPTS/config"; }

# The daemons; "web here" runs web in this process. Without luoyun.conf, web and webssh
# get /dev/null: ICONF when known, else --or-null when they start (after floppy).
web() {
	"$@" \; start web "$UP" --or-null "$CONF" -- "$BIN/web" --pidfile "$RUN/web.pid" -c "$ICONF" \
		-l "$LOGS/lyweb.log" -w "$DIR/custom/www" --build "$DIR/build" --state "$RUN/osm.json" \
		${LUOYUN_WEB_PORT:+-p "$LUOYUN_WEB_PORT"} ${LUOYUN_WEBSSH_PORT:+--webssh-port "$LUOYUN_WEBSSH_PORT"} \
		${LUOYUN_LISTEN_ADDR:+--listen-addr "$LUOYUN_LISTEN_ADDR"} ${SET:+--settings "$SET"}
}
webssh() {
	"$@" \; start webssh "$UP" --or-null "$CONF" -- "$BIN/webssh" --pidfile "$RUN/webssh.pid" \
		-c "$ICONF" -l "$LOGS/webssh.log" ${LUOYUN_WEBSSH_PORT:+-p "$LUOYUN_WEBSSH_PORT"} \
		${LUOYUN_LISTEN_ADDR:+--listen-addr "$LUOYUN_LISTEN_ADDR"} ${SET:+--settings "$SET"}
}
osm() {
	"$@" \; start osm "$UP" --needs "$NEEDS" -- "$BIN/osm" --pidfile "$RUN/osm.pid" -c "$CONF" \
		-l "$LOGS/luoyun.log" -s "$SCRIPTS" --state "$RUN/osm.json" ${SET:+--settings "$SET"}
}
iconf() { ICONF=$CONF && [ -e "$CONF" ] || ICONF=/dev/null; }
here() { while [ "$1" != -- ]; do shift; done && shift && exec "$@"; }

# chain [--osconfig]: the whole chain, or its first half for upstart and
# systemd (init/), which then run customconfig and each daemon with exec.
chain() {
	REC=--record OC=$* ICONF=$CONF NEEDS=$CONF
	if [ $# -eq 0 ]; then
		steps begin floppy osc config web webssh osm end
	else
		steps begin floppy osc end
	fi
}
stop() { "$BIN/osm" stop --dir "$DIR" --timeout "${LUOYUN_STOP_TIMEOUT:-5}s" "$@"; }
start() { if [ $# -gt 0 ]; then iconf && steps settings "$@"; else chain; fi; }

cmd=${1:-start}
[ $# -gt 0 ] && shift
case $cmd in
-h | --help | help) exec sed -n '/^# Usage:/,/^# usage mistake/s/^# \{0,1\}//p' "$self" ;;
start | stop | restart | force-reload | status | osconfig | customconfig | exec) ;;
*)
	echo "osmanager.sh: unknown command '$cmd'" >&2
	echo "usage: osmanager.sh [start|stop|restart|status] [web|webssh|osm ...]; osmanager.sh --help for more" >&2
	exit 2
	;;
esac
for n; do
	case $cmd:$n in status:--json | *:web | *:webssh | *:osm) ;; *)
		echo "osmanager.sh: unknown component '$n' (web, webssh, osm)" >&2
		exit 2
		;;
	esac
done
for b in osc osm; do # osc runs the steps; osm stops and reports
	[ -x "$BIN/$b" ] || { echo "osmanager.sh: $BIN/$b is missing" >&2 && exit 1; }
done
case $cmd in
start) start "$@" ;;
stop) stop "$@" ;;
restart | force-reload) stop "$@" && start "$@" ;;
status) exec "$BIN/osm" status --dir "$DIR" --state "$RUN/osm.json" "$@" ;;
osconfig) chain --osconfig ;;
customconfig) REC=--record && steps config ;;
exec)
	[ $# -eq 1 ] || { echo "usage: osmanager.sh exec web|webssh|osm" >&2 && exit 2; }
	iconf && mkdir -p "$LOGS" "$RUN" && $1 here
	;;
esac
