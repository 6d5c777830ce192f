#!/bin/sh
# install.sh: make the LuoYun OS manager start at boot.
#
# Usage: install.sh [--init auto|systemd|upstart|sysv] [--root DIR] [--force] [-h]
#
#   --init KIND  which init system to install for (env LUOYUN_INIT; default
#                auto: systemd when it runs or is the target's /sbin/init,
#                upstart when /sbin/initctl and /etc/init exist, else SysV)
#   --root DIR   install into the system under DIR, e.g. an image being
#                built (env LUOYUN_INSTALL_ROOT; default /). No running init
#                is needed: this works in a chroot and on an image.
#   --force      replace entries that exist but were not installed by us
#
# What it installs, with paths under the target root:
#   sysv:    /etc/rc{2,3,4,5}.d/S99luoyun-osmanager and /etc/init.d/luoyun-osmanager,
#            links to <tree>/osmanager.sh
#   upstart: /etc/init/luoyun/{osconfig,customconfig,customweb,osm,webssh}.conf
#   systemd: /etc/systemd/system/luoyun-{osconfig,customconfig,web,webssh,osm}.service,
#            enabled through links in /etc/systemd/system/multi-user.target.wants/
# <tree> is this script's directory (symlinks resolved) seen from inside the
# target root, or LUOYUN_DIR when set. Every file, link and directory it
# creates is listed in <tree>/install.manifest, which uninstall.sh reads to
# remove exactly those. Running it again changes nothing; running it for
# another init system replaces the entries of the previous one.
#
# It verifies what it installed and ends with "install success" (exit 0)
# or "install failed: ..." (exit 1); 2 is a usage mistake.

usage() { sed -n '/^# Usage:/,/^# It verifies/s/^# \{0,1\}//p' "$0" | sed '$d'; }

self_dir() {
	p=$0
	case $p in */*) ;; *) p=$(command -v -- "$p") || return 1 ;; esac
	n=0
	while [ -L "$p" ] && [ "$n" -lt 40 ]; do
		t=$(readlink -- "$p") || return 1
		case $t in /*) p=$t ;; *) p=$(dirname -- "$p")/$t ;; esac
		n=$((n + 1))
	done
	(cd -P -- "$(dirname -- "$p")" && pwd -P)
}

fail() {
	echo "install failed: $*"
	exit 1
}

KIND=${LUOYUN_INIT:-auto}
ROOT=${LUOYUN_INSTALL_ROOT:-/}
FORCE=0
while [ $# -gt 0 ]; do
	case $1 in
	--init) [ $# -ge 2 ] || { echo "install.sh: --init needs a value" >&2; exit 2; }; KIND=$2; shift ;;
	--init=*) KIND=${1#*=} ;;
	--root) [ $# -ge 2 ] || { echo "install.sh: --root needs a value" >&2; exit 2; }; ROOT=$2; shift ;;
	--root=*) ROOT=${1#*=} ;;
	--force) FORCE=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $KIND in auto | systemd | upstart | sysv) ;; *) echo "install.sh: --init must be auto, systemd, upstart or sysv, not '$KIND'" >&2; exit 2 ;; esac

SRC=$(self_dir) || fail "cannot find the directory of install.sh"
# resolve (paths inside the target root) is shared with uninstall.sh.
# shellcheck source-path=SCRIPTDIR source=init/confine.sh
. "$SRC/init/confine.sh" || fail "cannot read $SRC/init/confine.sh"
[ -d "$ROOT" ] || fail "target root $ROOT is not a directory"
R=$(cd -P -- "$ROOT" && pwd -P) || fail "cannot enter $ROOT"
[ "$R" = / ] && R=
# DIR: the tree as the target system sees it.
if [ -n "$LUOYUN_DIR" ]; then
	DIR=$LUOYUN_DIR
else
	case $SRC in
	"$R"/*) DIR=${SRC#"$R"} ;;
	*)
		[ -z "$R" ] || fail "$SRC is not under the target root $ROOT; set LUOYUN_DIR to the tree's path inside the target"
		DIR=$SRC
		;;
	esac
fi
case $DIR in /*) ;; *) fail "LUOYUN_DIR must be an absolute path, not '$DIR'" ;; esac
case $DIR in *[!A-Za-z0-9/._+-]*) fail "the tree's path '$DIR' has characters init files cannot carry" ;; esac
TREE=$(resolve "$DIR" follow) || fail "cannot resolve $DIR inside $ROOT"
[ -f "$TREE/osmanager.sh" ] || fail "$TREE/osmanager.sh not found"
[ -x "$TREE/osmanager.sh" ] || chmod 0755 "$TREE/osmanager.sh" || fail "cannot make $TREE/osmanager.sh executable"
MANIFEST=$TREE/install.manifest

detect() {
	if [ -z "$R" ]; then
		[ -d /run/systemd/system ] && { echo systemd; return; }
		[ -x /sbin/initctl ] && /sbin/initctl version 2>&1 | grep -q upstart && { echo upstart; return; }
	fi
	if [ -L "$R/sbin/init" ]; then
		case $(readlink "$R/sbin/init") in
		*systemd*) echo systemd; return ;;
		*upstart*) echo upstart; return ;;
		esac
	fi
	if [ -x "$R/sbin/initctl" ] && [ -d "$R/etc/init" ]; then
		echo upstart
		return
	fi
	if [ ! -e "$R/sbin/init" ] && { [ -x "$R/lib/systemd/systemd" ] || [ -x "$R/usr/lib/systemd/systemd" ]; }; then
		echo systemd
		return
	fi
	echo sysv
}
[ "$KIND" = auto ] && KIND=$(detect)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/luoyun-install.XXXXXX") || fail "cannot make a temporary directory"
trap 'rm -rf "$WORK"' EXIT

# The entries to install, one per line: "f PATH SOURCE" (a file made from
# SOURCE with /LuoYun replaced by DIR) or "l PATH TARGET" (a symlink).
# PATH is relative to the target root.
esc=$(printf '%s' "$DIR" | sed 's/[#&\\]/\\&/g')
render() { sed "s#/LuoYun#$esc#g" "$1"; }
entries() {
	case $KIND in
	sysv)
		for n in 2 3 4 5; do echo "l /etc/rc$n.d/S99luoyun-osmanager $DIR/osmanager.sh"; done
		echo "l /etc/init.d/luoyun-osmanager $DIR/osmanager.sh"
		;;
	upstart)
		for j in osconfig customconfig customweb osm webssh; do
			echo "f /etc/init/luoyun/$j.conf $TREE/init/luoyun/$j.conf"
		done
		;;
	systemd)
		for u in osconfig customconfig web webssh osm; do
			echo "f /etc/systemd/system/luoyun-$u.service $TREE/init/systemd/luoyun-$u.service"
		done
		for u in osconfig customconfig web webssh osm; do
			echo "l /etc/systemd/system/multi-user.target.wants/luoyun-$u.service /etc/systemd/system/luoyun-$u.service"
		done
		;;
	esac
}
entries >"$WORK/new"

# in_old KIND PATH: reports whether the previous install recorded PATH.
in_old() { [ -f "$MANIFEST" ] && awk -v t="$1" -v p="$2" '$1 == t && $2 == p { f = 1 } END { exit !f }' "$MANIFEST"; }
# same TYPE PATH ARG: reports whether PATH already is what we would install.
same() {
	_p=$(resolve "$2") || return 1
	case $1 in
	l) [ -L "$_p" ] && [ "$(readlink "$_p")" = "$3" ] ;;
	f) [ -f "$_p" ] && [ ! -L "$_p" ] && render "$3" | cmp -s - "$_p" ;;
	esac
}

# original TYPE PATH: reports whether PATH is an entry the original LuoYun
# scripts made for this tree, known by what it runs: an rc link to
# DIR/osmanager.sh (the original install.sh), or one of the original's
# upstart jobs (init/luoyun/*.conf) whose exec lines and script blocks run
# only that job's own programs under DIR/bin (or, for customconfig,
# DIR/custom/scripts/config).
original() {
	_p=$(resolve "$2") || return 1
	case $1:$2 in
	l:/etc/rc[2345].d/S99luoyun-osmanager) [ -L "$_p" ] && [ "$(readlink "$_p")" = "$DIR/osmanager.sh" ] ;;
	f:/etc/init/luoyun/*.conf) [ -f "$_p" ] && [ ! -L "$_p" ] && original_job "$(basename "$2" .conf)" "$_p" ;;
	*) return 1 ;;
	esac
}

# original_job NAME FILE: the upstart job FILE runs NAME's original programs
# and nothing else.
original_job() {
	case $1 in
	osconfig) _progs="$DIR/bin/lyconfig.sh $DIR/bin/pyosc/" ;;
	customconfig) _progs="$DIR/custom/scripts/config" ;;
	customweb) _progs="$DIR/bin/pyweb/" ;;
	osm) _progs="$DIR/bin/pyosm/" ;;
	webssh) _progs="$DIR/bin/webssh/" ;;
	*) return 1 ;;
	esac
	awk -v progs="$_progs" '
	function ok(w, i, n, a) {
		n = split(progs, a, " ")
		for (i = 1; i <= n; i++) {
			if (a[i] ~ /\/$/ && index(w, a[i]) == 1 && length(w) > length(a[i])) return 1
			if (w == a[i]) return 1
		}
		return w == "/dev/null"
	}
	function check(w) { refs++; if (!ok(w)) bad = 1 }
	{ sub(/#.*/, "") }
	inscript && $1 == "end" && $2 == "script" { inscript = 0; next }
	inscript {
		line = $0
		gsub(/[$()`"\047;|&<>=]/, " ", line)
		n = split(line, w, /[ \t]+/)
		for (i = 1; i <= n; i++) if (w[i] ~ /^\/[^\/]+\//) check(w[i])
		next
	}
	$1 == "script" || $2 == "script" { inscript = 1; cmds++; next }
	$1 == "exec" { cmds++; check($2); next }
	$2 == "exec" { cmds++; check($3); next }
	END { exit !(cmds >= 1 && refs >= 1 && !bad && !inscript) }
	' "$2"
}

# ORIGINAL: the original's entries for this tree, which this run replaces
# or (when they belong to another init system) removes.
ORIGINAL=
for n in 2 3 4 5; do
	original l "/etc/rc$n.d/S99luoyun-osmanager" && ORIGINAL="$ORIGINAL l:/etc/rc$n.d/S99luoyun-osmanager"
done
for j in osconfig customconfig customweb osm webssh; do
	original f "/etc/init/luoyun/$j.conf" && ORIGINAL="$ORIGINAL f:/etc/init/luoyun/$j.conf"
done
is_original() { case " $ORIGINAL " in *" $1:$2 "*) return 0 ;; esac; return 1; }

# First pass: every source exists, nothing foreign is in the way.
while read -r type path arg; do
	if [ "$type" = f ] && [ ! -f "$arg" ]; then
		fail "missing $arg"
	fi
	p=$(resolve "$path") || fail "cannot resolve $path inside $ROOT"
	if [ -e "$p" ] || [ -L "$p" ]; then
		[ -d "$p" ] && [ ! -L "$p" ] && fail "$p is a directory"
		if ! in_old "$type" "$path" && ! same "$type" "$path" "$arg" && ! is_original "$type" "$path" && [ "$FORCE" != 1 ]; then
			fail "$p exists and was not installed by install.sh (use --force to replace it)"
		fi
	fi
done <"$WORK/new"

# Directories: those the previous install made and still needed, plus the
# ones this run makes, parents first.
: >"$WORK/dirs"
while read -r type path arg; do
	d=$(dirname -- "$path")
	list=
	while [ "$d" != / ] && [ -n "$d" ]; do
		list="$d $list"
		d=$(dirname -- "$d")
	done
	for d in $list; do
		grep -qx "d $d" "$WORK/dirs" && continue
		p=$(resolve "$d" follow) || fail "cannot resolve $d inside $ROOT"
		if [ ! -d "$p" ]; then
			mkdir -m 0755 "$p" || fail "cannot create $d (at $p inside the root)"
			echo "d $d" >>"$WORK/dirs"
		elif in_old d "$d"; then
			echo "d $d" >>"$WORK/dirs"
		fi
	done
done <"$WORK/new"

# Entries of a previous install that this one does not make (another init
# system): remove them, if they are still ours.
if [ -f "$MANIFEST" ]; then
	grep -E '^[fl] ' "$MANIFEST" | while read -r type path arg; do
		awk -v t="$type" -v p="$path" '$1 == t && $2 == p { f = 1 } END { exit !f }' "$WORK/new" && continue
		p=$(resolve "$path") || continue
		case $type in
		l) [ -L "$p" ] && [ "$(readlink "$p")" = "$arg" ] && rm -f "$p" && echo "removed $path" ;;
		f) [ -f "$p" ] && rm -f "$p" && echo "removed $path" ;;
		esac
	done
	grep -E '^d ' "$MANIFEST" | sort -r | while read -r type path; do
		grep -qx "d $path" "$WORK/dirs" && continue
		p=$(resolve "$path" follow) || continue
		[ -d "$p" ] && [ -z "$(ls -A "$p")" ] && rmdir "$p" && echo "removed $path/"
	done
fi

# The original's entries that this init system does not use: they would
# start the tree a second time.
for e in $ORIGINAL; do
	type=${e%%:*}
	path=${e#*:}
	awk -v t="$type" -v p="$path" '$1 == t && $2 == p { f = 1 } END { exit !f }' "$WORK/new" && continue
	p=$(resolve "$path") || continue
	rm -f "$p" && echo "removed the original's $path"
done
p=$(resolve /etc/init/luoyun follow)
if ! grep -qx "d /etc/init/luoyun" "$WORK/dirs" && [ -d "$p" ] && [ -z "$(ls -A "$p")" ] && [ -n "$ORIGINAL" ]; then
	rmdir "$p" && echo "removed the original's /etc/init/luoyun/"
fi

# Install.
while read -r type path arg; do
	if same "$type" "$path" "$arg"; then
		echo "unchanged $path"
		continue
	fi
	p=$(resolve "$path") || fail "cannot resolve $path inside $ROOT"
	tmp=$p.luoyun-tmp
	rm -f "$tmp"
	case $type in
	l) ln -s "$arg" "$tmp" || fail "cannot create $p" ;;
	f) { render "$arg" >"$tmp" && chmod 0644 "$tmp"; } || { rm -f "$tmp"; fail "cannot write $p"; } ;;
	esac
	mv -f "$tmp" "$p" || { rm -f "$tmp"; fail "cannot create $p"; }
	if is_original "$type" "$path"; then
		echo "installed $path (replaced the original's)"
	else
		echo "installed $path"
	fi
done <"$WORK/new"

{
	echo "# Written by install.sh; uninstall.sh removes exactly these entries."
	echo "# init $KIND"
	echo "# tree $DIR"
	cat "$WORK/dirs"
	sed 's/^f \([^ ]*\) .*/f \1/' "$WORK/new"
} >"$WORK/manifest"
if ! { [ -f "$MANIFEST" ] && cmp -s "$WORK/manifest" "$MANIFEST"; }; then
	{ cp "$WORK/manifest" "$MANIFEST.luoyun-tmp" && chmod 0644 "$MANIFEST.luoyun-tmp" &&
		mv -f "$MANIFEST.luoyun-tmp" "$MANIFEST"; } || fail "cannot write $MANIFEST"
fi

# Verify.
bad=
while read -r type path arg; do
	same "$type" "$path" "$arg" || bad="$bad $path"
done <"$WORK/new"
[ -z "$bad" ] || fail "not in place:$bad"
for b in floppyconf osc web webssh osm; do
	[ -x "$TREE/bin/$b" ] || echo "warning: $TREE/bin/$b is missing"
done

# Tell a running init about it (not in a chroot or image).
if [ -z "$R" ]; then
	case $KIND in
	systemd) [ -d /run/systemd/system ] && systemctl daemon-reload ;;
	upstart) command -v initctl >/dev/null 2>&1 && initctl reload-configuration ;;
	esac
fi

echo "install success: $KIND, $(wc -l <"$WORK/new" | tr -d ' ') entries, tree $DIR, root ${R:-/}"
exit 0
