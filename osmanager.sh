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
#                  then web, webssh and osm in the background (the default)
#   start NAME...  start only these components (web, webssh, osm)
#   stop [NAME...] stop the components (all when none is named)
#   restart [NAME...]  stop, then start (the whole chain when none is named)
#   status [--json] [NAME...]  the instance's health: the last boot's steps, each
#                  daemon (pid, uptime, listen address), the registrar's state and
#                  last report (bin/osm status); exit 0 when all of them run, 3 otherwise
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
#   GOMAXPROCS          Go processors of osm, webssh and web (default 1; web: 1 at start, then settings web.procs)
#
# Every step is logged with its outcome on stdout and in log/osmanager.log,
# and recorded in run/boot for status. A daemon is "started" only once it
# is up (web and webssh: listening; osm: luoyun.conf loaded); otherwise
# "failed: <its error line>". Exit status: 0 when every step succeeded, 1
# when one failed (the others still ran where that made sense), 2 for a
# usage mistake, 3 from status when a component is not running.

# Resolve this script's path through symlinks, so that
# /etc/rc2.d/S99luoyun-osmanager -> /LuoYun/osmanager.sh finds /LuoYun.
self_path() {
	p=$0
	case $p in
	*/*) ;;
	*) p=$(command -v -- "$p") || return 1 ;;
	esac
	n=0
	while [ -L "$p" ] && [ "$n" -lt 40 ]; do
		t=$(readlink -- "$p") || return 1
		case $t in
		/*) p=$t ;;
		*) p=$(dirname -- "$p")/$t ;;
		esac
		n=$((n + 1))
	done
	d=$(cd -P -- "$(dirname -- "$p")" && pwd -P) || return 1
	echo "$d/$(basename -- "$p")"
}

SELF=$(self_path) || {
	echo "osmanager.sh: cannot find its own directory" >&2
	exit 1
}
SELF_DIR=$(dirname -- "$SELF")
DIR=${LUOYUN_DIR:-$SELF_DIR}
# Absolute, so that it holds after a cd (the config script runs in it).
case $DIR in /*) ;; *) DIR=$(cd -P -- "$DIR" 2>/dev/null && pwd -P) || DIR=$PWD/$DIR ;; esac
BIN=$DIR/bin
CONF=$DIR/conf/luoyun.conf
LOGDIR=$DIR/log
RUNDIR=$DIR/run
LOG=$LOGDIR/osmanager.log
SETTINGS=$DIR/custom/osmanager.toml
SCRIPTS=$DIR/custom/scripts
ROOT=${LUOYUN_ROOT:-/}
COMPONENTS="web webssh osm"
export LUOYUN_DIR="$DIR" LUOYUN_ROOT="$ROOT"

failed=0
TS="" MS="" BOOT="" PREV_TAG=""

# stamp: the time now, with one date call: TS for log lines
# (2026-11-21 10:00:00,123; ,000 where date has no %N, as busybox's) and
# MS in Unix milliseconds for run/boot.
stamp() {
	# shellcheck disable=SC2046 # four words
	set -- $(date '+%Y-%m-%d %H:%M:%S %3N %s')
	case $3 in [0-9][0-9][0-9]) ;; *) set -- "$1" "$2" 000 "$4" ;; esac
	TS="$1 $2,$3" MS=$4$3
}

# log LEVEL MESSAGE...: one line on stdout and in log/osmanager.log, in
# the components' line shape.
log() {
	stamp
	log_at "$@"
}

# log_at LEVEL MESSAGE...: log with the last stamp's time.
log_at() {
	level=$1
	shift
	line="$TS [$level] $*"
	echo "$line"
	[ -d "$LOGDIR" ] && echo "$line" >>"$LOG" 2>/dev/null
	[ "$level" = ERROR ] && failed=1
	return 0
}

# log_lines LEVEL PREFIX TEXT [NAME]: log every non-empty line of TEXT,
# with one time stamp for all of them (they came together). With NAME
# (the program that printed TEXT), each line loses its own "NAME: " (see
# own_line), and a "warning: " line is logged at WARN without the word;
# LL_WARN is set to the number of those.
log_lines() {
	ll_level=$1 ll_prefix=$2 ll_name=${4:-} LL_WARN=0
	stamp
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		if [ -z "$ll_name" ]; then
			log_at "$ll_level" "$ll_prefix$l"
			continue
		fi
		own_line "$ll_name" "$l"
		case $OL in
		"warning: "*)
			LL_WARN=$((LL_WARN + 1))
			log_at WARN "$ll_prefix${OL#warning: }"
			;;
		*) log_at "$ll_level" "$ll_prefix$OL" ;;
		esac
	done <<EOF
$3
EOF
}

# own_line NAME LINE: set OL to LINE without the leading "NAME: " a
# program puts before its own messages (once or, from an older binary,
# twice), so that osmanager.sh's "step: " prefix is not doubled.
own_line() {
	OL=$2
	while [ "${OL#"$1: "}" != "$OL" ]; do OL=${OL#"$1: "}; done
}

# warned N: " (N warning(s) in log/osmanager.log)", or nothing for 0.
warned() {
	case $1 in
	0) ;;
	1) printf ' (1 warning in log/osmanager.log)' ;;
	*) printf ' (%s warnings in log/osmanager.log)' "$1" ;;
	esac
}

# last_line TEXT: print its last non-empty line.
last_line() {
	ln_last=
	while IFS= read -r l; do [ -n "$l" ] && ln_last=$l; done <<EOF
$1
EOF
	printf '%s' "$ln_last"
}

# record STEP OUTCOME MESSAGE: append the step's outcome (ok, warning,
# failed, skipped) to run/boot with the last stamp's time, for status.
# One short line written at once; readers ignore a line still being
# written.
record() {
	[ -n "$BOOT" ] || return 0
	r_msg=$3
	case $r_msg in *"
"*) r_msg=${r_msg%%"
"*} ;; esac
	printf '%s %s %s %s\n' "$1" "$MS" "$2" "$r_msg" >>"$BOOT" 2>/dev/null
	return 0
}

# record_start: begin a new boot record.
record_start() {
	BOOT=$RUNDIR/boot
	stamp
	printf 'boot %s started %s\n' "$MS" "$DIR" >"$BOOT" 2>/dev/null || BOOT=
}

settings_opt() {
	# A --settings file given on the command line must exist; a missing
	# file means the built-in defaults, so pass it only when present.
	[ -f "$SETTINGS" ] && printf '%s' "$SETTINGS"
}

have_bin() {
	[ -x "$BIN/$1" ] && return 0
	log ERROR "$1: skipped: $BIN/$1 is missing or not executable"
	record "$1" failed "$BIN/$1 is missing or not executable"
	return 1
}

# conf_tag: the TAG luoyun.conf holds (its last TAG= line), "" for none.
conf_tag() {
	ct=
	if [ -r "$CONF" ]; then
		while IFS= read -r l || [ -n "$l" ]; do
			case $l in TAG=*) ct=${l#TAG=} ;; esac
		done <"$CONF"
	fi
	printf '%s' "${ct%"$CR"}"
}
CR=$(printf '\r')

# step_floppy: floppy -> conf/luoyun.conf. A failed read with an existing
# luoyun.conf goes on with it. PREV_TAG is the TAG luoyun.conf held
# before: osc tells an instance's first boot by it.
step_floppy() {
	PREV_TAG=$(conf_tag)
	have_bin floppyconf || return 0
	set -- -c "$CONF"
	[ -n "$LUOYUN_FLOPPY" ] && set -- "$@" -d "$LUOYUN_FLOPPY"
	s=$(settings_opt) && set -- "$@" --settings "$s"
	out=$("$BIN/floppyconf" "$@" 2>&1)
	rc=$?
	own_line floppyconf "$(last_line "$out")"
	fl_last=${OL:-ok}
	if [ "$rc" -eq 0 ]; then
		log_lines INFO "floppy: " "${out:-ok}" floppyconf
		record floppy ok "$fl_last$(warned "$LL_WARN")"
	elif [ -s "$CONF" ]; then
		log_lines WARN "floppy: " "$out" floppyconf
		log_at WARN "floppy: failed (exit $rc); going on with the existing $CONF"
		record floppy warning "failed (exit $rc): $fl_last; going on with the existing $CONF"
	else
		log_lines ERROR "floppy: " "$out" floppyconf
		log_at ERROR "floppy: failed (exit $rc) and there is no $CONF"
		record floppy failed "failed (exit $rc): $fl_last; no $CONF"
	fi
}

# step_osc: apply luoyun.conf to the system under LUOYUN_ROOT.
step_osc() {
	if [ ! -s "$CONF" ]; then
		log ERROR "osc: skipped: no $CONF"
		record osc skipped "no $CONF"
		return 0
	fi
	have_bin osc || return 0
	set -- -c "$CONF" --root "$ROOT" --previous-tag "$PREV_TAG"
	[ "$LUOYUN_NO_NETWORK" = 1 ] && set -- "$@" --no-network
	s=$(settings_opt) && set -- "$@" --settings "$s"
	out=$("$BIN/osc" "$@" 2>&1)
	rc=$?
	step_end osc "$rc" "$out" osc
}

# step_end STEP RC OUTPUT [NAME]: log a step's output line by line (see
# log_lines; NAME is the program that printed it), then its outcome, done
# or failed (exit RC), and record it with the output's last line.
step_end() {
	log_lines INFO "$1: " "$3" "${4:-}"
	if [ "$2" -eq 0 ]; then
		log_at INFO "$1: done"
		record "$1" ok "done$(warned "$LL_WARN")"
		return 0
	fi
	log_at ERROR "$1: failed (exit $2)"
	se_last=$(last_line "$3")
	if [ -n "${4:-}" ]; then
		own_line "$4" "$se_last"
		se_last=$OL
	fi
	record "$1" failed "failed (exit $2): $se_last"
}

# step_customconfig: custom/scripts/config, once, if executable.
step_customconfig() {
	if [ ! -x "$SCRIPTS/config" ]; then
		log INFO "config: skipped: no executable $SCRIPTS/config"
		record config skipped "no executable $SCRIPTS/config"
		return 0
	fi
	# Its output goes through a file, not a pipe: a service the script
	# starts in the background may keep the descriptor open for good.
	outf=$RUNDIR/config.out
	(cd "$DIR" && exec "$SCRIPTS/config") </dev/null >"$outf" 2>&1
	rc=$?
	out=$(cat "$outf" 2>/dev/null)
	rm -f "$outf"
	step_end config "$rc" "$out"
}

# exec_component NAME: replace this shell with the component (the init
# system's way). Writes run/NAME.pid first.
exec_component() {
	mkdir -p "$LOGDIR" "$RUNDIR"
	echo $$ >"$RUNDIR/$1.pid"
	launch "$1"
}

# launch NAME [WRAPPER]: exec the component (through WRAPPER, e.g.
# setsid), with every path derived from LUOYUN_DIR.
launch() {
	name=$1 wrap=${2:-}
	# Without a luoyun.conf (no floppy yet), the page and the terminal
	# still serve, with no instance settings.
	iconf=$CONF
	[ -e "$CONF" ] || iconf=/dev/null
	case $name in
	web)
		set -- -c "$iconf" -l "$LOGDIR/lyweb.log" -w "$DIR/custom/www" \
			--build "$DIR/build" --state "$RUNDIR/osm.json"
		[ -n "$LUOYUN_WEB_PORT" ] && set -- "$@" -p "$LUOYUN_WEB_PORT"
		[ -n "$LUOYUN_WEBSSH_PORT" ] && set -- "$@" --webssh-port "$LUOYUN_WEBSSH_PORT"
		[ -n "$LUOYUN_LISTEN_ADDR" ] && set -- "$@" --listen-addr "$LUOYUN_LISTEN_ADDR"
		;;
	webssh)
		set -- -c "$iconf" -l "$LOGDIR/webssh.log"
		[ -n "$LUOYUN_WEBSSH_PORT" ] && set -- "$@" -p "$LUOYUN_WEBSSH_PORT"
		[ -n "$LUOYUN_LISTEN_ADDR" ] && set -- "$@" --listen-addr "$LUOYUN_LISTEN_ADDR"
		;;
	osm)
		set -- -c "$CONF" -l "$LOGDIR/luoyun.log" -s "$SCRIPTS" --state "$RUNDIR/osm.json"
		;;
	*)
		echo "osmanager.sh: unknown component $name (web, webssh, osm)" >&2
		exit 2
		;;
	esac
	s=$(settings_opt) && set -- "$@" --settings "$s"
	# osm (one connection, a status script every few seconds) and webssh
	# (a PTY and a websocket per session) run on one P, which saves about
	# 0.3 MB of idle memory each at no cost in their figures. web starts
	# on one P too (a second P's caches, once filled by start-up, stay in
	# its idle memory even when main lowers the count) and then raises it
	# to settings web.procs: LUOYUN_START_PROCS=1 tells it that the 1 is
	# this script's, not the caller's. An exported GOMAXPROCS wins.
	case $name in
	osm | webssh)
		GOMAXPROCS=${GOMAXPROCS:-1}
		export GOMAXPROCS
		;;
	web)
		if [ -z "${GOMAXPROCS:-}" ]; then
			GOMAXPROCS=1 LUOYUN_START_PROCS=1
			export GOMAXPROCS LUOYUN_START_PROCS
		fi
		;;
	esac
	# shellcheck disable=SC2086 # no wrapper, or one word
	exec $wrap "$BIN/$name" "$@"
}

# pid_of NAME: print the pid of the running component, or fail.
pid_of() {
	po_name=$1
	f=$RUNDIR/$po_name.pid
	[ -f "$f" ] || return 1
	read -r pid <"$f" 2>/dev/null || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	alive "$pid" || return 1
	# The pid may have been reused: the process must be our binary (run
	# directly or by an interpreter), or osmanager.sh about to exec it.
	if [ -r "/proc/$pid/cmdline" ]; then
		# shellcheck disable=SC2046 # one word per argument, blanks replaced
		set -- $(tr '\000' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 4 | tr ' \t' '__')
		case "$1|$2|$3|$4|" in
		*/bin/"$po_name"\|* | "$po_name"\|* | *\|*/bin/"$po_name"\|*) ;;
		*osmanager.sh\|exec\|"$po_name"\|*) ;;
		*) return 1 ;;
		esac
	fi
	echo "$pid"
}

# start_bg NAME: start the component in the background, in a session of
# its own (a terminal's hangup or Ctrl-C does not reach it), its stdout
# and stderr in run/NAME.out (never in osmanager.log: every line there
# has the log's shape); add NAME:PID to STARTING. Logs and does nothing
# when it already runs.
start_bg() {
	name=$1
	if pid=$(pid_of "$name"); then
		log INFO "$name: already running (pid $pid)"
		return 0
	fi
	have_bin "$name" || return 0
	mkdir -p "$LOGDIR" "$RUNDIR"
	sb_wrap=
	[ -n "$SETSID" ] && sb_wrap=setsid
	# A subshell that execs (through setsid, which does not fork here):
	# the pid is the component's.
	# Emptied here, not by the child's redirection: wait_up must not read
	# the last run's ready line before the child gets to it.
	: >"$RUNDIR/$name.out"
	(launch "$name" "$sb_wrap") </dev/null >>"$RUNDIR/$name.out" 2>&1 &
	pid=$!
	echo "$pid" >"$RUNDIR/$name.pid"
	STARTING="$STARTING $name:$pid"
}

# wait_up NAME: wait until the component start_bg started is up (its
# ready line in run/NAME.out: "listening addr=..." from web and webssh,
# "running pid=..." from osm), has exited, or LUOYUN_START_TIMEOUT
# seconds have passed; log and record the outcome.
wait_up() {
	wu_pid=
	wu_rest=
	for np in $STARTING; do
		if [ "${np%%:*}" = "$1" ]; then
			wu_pid=${np#*:}
		else
			wu_rest="$wu_rest $np"
		fi
	done
	[ -n "$wu_pid" ] || return 0
	STARTING=$wu_rest
	wu_out=$RUNDIR/$1.out
	limit=$((${LUOYUN_START_TIMEOUT:-5} * 200))
	i=0
	while :; do
		if ready_in "$wu_out"; then
			stamp
			wu_what="pid $wu_pid"
			case $RL in "listening addr="*) wu_what="$wu_what, listening ${RL#listening addr=}" ;; esac
			log_at INFO "$1: started ($wu_what)"
			# Its own settings warnings (a mistake in [memory], which
			# it runs with the default of) go to the log too; a
			# mistake in a section it does not use is floppyconf's
			# to report, once.
			wu_warn=
			while IFS= read -r l; do
				case $l in
				"$1: warning: ignoring a mistake in settings "*) ;;
				"$1: warning: "*) wu_warn="$wu_warn$l
" ;;
				esac
			done <"$wu_out"
			LL_WARN=0
			[ -n "$wu_warn" ] && log_lines WARN "$1: " "$wu_warn" "$1"
			record "$1" ok "started ($wu_what)$(warned "$LL_WARN")"
			return 0
		fi
		if ! alive "$wu_pid"; then
			wait "$wu_pid" 2>/dev/null
			rc=$?
			own_line "$1" "$(last_line "$(cat "$wu_out" 2>/dev/null)")"
			wu_last=$OL
			stamp
			if [ "$rc" -eq 0 ]; then
				# webssh disabled by the cloud says so and exits 0.
				log_at INFO "$1: not started: ${wu_last:-exited at once}"
				record "$1" skipped "${wu_last:-exited at once}"
			else
				log_at ERROR "$1: failed: ${wu_last:-exited at once} (exit $rc)"
				record "$1" failed "${wu_last:-exited at once} (exit $rc)"
			fi
			rm -f "$RUNDIR/$1.pid"
			return 0
		fi
		if [ "$i" -ge "$limit" ]; then
			stamp
			log_at ERROR "$1: failed: not up after ${LUOYUN_START_TIMEOUT:-5} s (pid $wu_pid still runs; see run/$1.out)"
			record "$1" failed "not up after ${LUOYUN_START_TIMEOUT:-5} s (pid $wu_pid still runs)"
			return 0
		fi
		sleep 0.005 2>/dev/null || sleep 1
		i=$((i + 1))
	done
}

# ready_in FILE: set RL to the ready line of FILE, or fail. Only whole
# lines count: a line still being written is not read.
ready_in() {
	RL=
	[ -s "$1" ] || return 1
	while IFS= read -r l; do
		case $l in "listening addr="* | "running pid="*)
			RL=$l
			return 0
			;;
		esac
	done <"$1"
	return 1
}

# start_components NAME...: start them together (in this order: web's
# pid file is there before osm starts; the shipped status script waits
# while web runs but does not listen yet, so that osm's first report is
# not a false failure), then wait for each to be up.
start_components() {
	STARTING=""
	for n in "$@"; do start_bg "$n"; done
	for n in "$@"; do wait_up "$n"; done
}

# alive PID: reports whether PID runs (a zombie waiting for init to reap
# it does not).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	read -r st <"/proc/$1/stat" 2>/dev/null || return 1
	st=${st##*) }
	case $st in Z* | X*) return 1 ;; esac
	return 0
}

# stop_components NAME...: SIGTERM to each running one, then wait for all
# of them together (LUOYUN_STOP_TIMEOUT seconds), then SIGKILL.
stop_components() {
	pids=
	for name in "$@"; do
		if pid=$(pid_of "$name"); then
			kill -TERM "$pid" 2>/dev/null
			pids="$pids $name:$pid"
		else
			log INFO "$name: not running"
			rm -f "$RUNDIR/$name.pid"
		fi
	done
	limit=$((${LUOYUN_STOP_TIMEOUT:-5} * 20))
	i=0
	while [ "$i" -lt "$limit" ]; do
		alive=
		for np in $pids; do alive "${np#*:}" && alive=1; done
		[ -n "$alive" ] || break
		sleep 0.05 2>/dev/null || sleep 1
		i=$((i + 1))
	done
	for np in $pids; do
		name=${np%%:*} pid=${np#*:}
		if alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			log WARN "$name: did not stop on SIGTERM; killed (pid $pid)"
		else
			log INFO "$name: stopped (pid $pid)"
		fi
		rm -f "$RUNDIR/$name.pid"
	done
}

# status_component NAME: the fallback of status when bin/osm is missing.
status_component() {
	if pid=$(pid_of "$1"); then
		echo "$1: running (pid $pid)"
		return 0
	fi
	echo "$1: not running"
	return 3
}

check_names() {
	for n in "$@"; do
		case " $COMPONENTS " in
		*" $n "*) ;;
		*)
			echo "osmanager.sh: unknown component '$n' (web, webssh, osm)" >&2
			exit 2
			;;
		esac
	done
}

SETSID=
command -v setsid >/dev/null 2>&1 && SETSID=1

prepare() {
	mkdir -p "$LOGDIR" "$RUNDIR" 2>/dev/null
	[ -d "$DIR/conf" ] || { mkdir -p "$DIR/conf" && chmod 0700 "$DIR/conf"; } 2>/dev/null
	[ -d "$LOGDIR" ] || log WARN "cannot create $LOGDIR; logging to stdout only"
}

do_start() {
	prepare
	if [ $# -gt 0 ]; then
		start_components "$@"
		return
	fi
	record_start
	log INFO "osmanager: starting (tree $DIR, root $ROOT)"
	step_floppy
	step_osc
	step_customconfig
	set -- web webssh osm
	if [ ! -s "$CONF" ]; then
		log ERROR "osm: skipped: no $CONF"
		record osm skipped "no $CONF"
		set -- web webssh
	fi
	start_components "$@"
	if [ "$failed" -eq 0 ]; then
		log INFO "osmanager: started"
		record boot ok started
	else
		log ERROR "osmanager: started, with failures (see above)"
		record boot failed "started, with failures"
	fi
}

do_stop() {
	[ $# -gt 0 ] || set -- osm webssh web
	stop_components "$@"
}

cmd=${1:-start}
[ $# -gt 0 ] && shift
case $cmd in
start)
	check_names "$@"
	do_start "$@"
	;;
stop)
	check_names "$@"
	prepare
	do_stop "$@"
	;;
restart | force-reload)
	check_names "$@"
	prepare
	do_stop "$@"
	do_start "$@"
	;;
status)
	json=
	if [ "${1:-}" = --json ]; then
		json=--json
		shift
	fi
	check_names "$@"
	if [ -x "$BIN/osm" ]; then
		# shellcheck disable=SC2086 # --json or nothing
		exec "$BIN/osm" status --dir "$DIR" --state "$RUNDIR/osm.json" $json "$@"
	fi
	[ -z "$json" ] || {
		echo "osmanager.sh: status --json needs $BIN/osm" >&2
		exit 3
	}
	# shellcheck disable=SC2086 # a list of names
	[ $# -gt 0 ] || set -- $COMPONENTS
	rc=0
	for n in "$@"; do status_component "$n" || rc=3; done
	exit "$rc"
	;;
osconfig)
	# The boot's first half under upstart and systemd, which then start
	# customconfig (its step is added to run/boot) and the daemons.
	prepare
	record_start
	step_floppy
	step_osc
	if [ "$failed" -eq 0 ]; then
		record boot ok "osconfig done"
	else
		record boot failed "osconfig, with failures"
	fi
	;;
customconfig)
	prepare
	BOOT=$RUNDIR/boot
	step_customconfig
	;;
exec)
	[ $# -eq 1 ] || {
		echo "usage: osmanager.sh exec web|webssh|osm" >&2
		exit 2
	}
	check_names "$1"
	exec_component "$1"
	;;
-h | --help | help)
	sed -n '/^# Usage:/,/^# usage mistake, 3 from status/s/^# \{0,1\}//p' "$SELF"
	exit 0
	;;
*)
	echo "osmanager.sh: unknown command '$cmd'" >&2
	echo "usage: osmanager.sh [start|stop|restart|status] [web|webssh|osm ...]; osmanager.sh --help for more" >&2
	exit 2
	;;
esac
exit "$failed"
