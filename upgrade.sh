#!/bin/sh
# upgrade.sh: put this OS manager tree in place at DEST, over an original
# LuoYun tree (Python scripts, bin/webssh/ a directory), over an older tree
# of ours, or where there is none yet.
#
# Usage: upgrade.sh [-h] DEST
#
#   DEST  the tree to lay out or upgrade, e.g. /mnt/image/LuoYun
#
# The components bin/ init/ osmanager.sh install.sh uninstall.sh upgrade.sh
# come from this script's directory. DEST's custom/ build/ conf/ log/ run/
# and install.manifest are kept byte for byte (custom/ and build/ are copied
# from this tree when DEST has none; conf/ log/ run/ are made empty), and so
# is anything else DEST holds.
#
# 1. The new components are copied into DEST/.upgrade-stage.XXXXXX (on
#    DEST's file system) and checked; a failure here changes nothing.
# 2. Each component of DEST that differs from the staged one is moved into
#    one backup directory, DEST/backup-YYYYmmdd-HHMMSS (printed), and the
#    staged one is renamed into its place. If a rename fails, or the run is
#    interrupted, the renames already made are undone: the old tree is left
#    as it was, never a mix of old and new.
# A run that finds nothing different changes nothing and makes no backup;
# a stage left by a killed run is removed first.
# Boot entries are install.sh's job: run it after an upgrade; it replaces
# the original's upstart jobs and rc links (a line starting "next:" says so
# when it finds those jobs beside DEST).
#
# It ends with "upgrade success: ..." (exit 0) or "upgrade failed: ..."
# (exit 1); 2 is a usage mistake.

usage() { sed -n '/^# Usage:/,/^# It ends/s/^# \{0,1\}//p' "$0" | sed '$d'; }

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

STAGE=
BACKUP=
DONE=
fail() {
	undo
	[ -n "$STAGE" ] && rm -rf "$STAGE"
	echo "upgrade failed: $*"
	exit 1
}

DEST=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-*) echo "upgrade.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*)
		[ -z "$DEST" ] || { echo "upgrade.sh: one DEST only (see --help)" >&2; exit 2; }
		DEST=$1
		;;
	esac
	shift
done
[ -n "$DEST" ] || { echo "upgrade.sh: DEST missing (see --help)" >&2; exit 2; }

COMPONENTS="bin init osmanager.sh install.sh uninstall.sh upgrade.sh"
KEPT="custom build conf log run"
BINARIES="floppyconf osc osm web webssh"

SRC=$(self_dir) || fail "cannot find the directory of upgrade.sh"
for c in $COMPONENTS custom build; do
	[ -e "$SRC/$c" ] || fail "this tree ($SRC) lacks $c"
done
for b in $BINARIES; do
	if [ ! -f "$SRC/bin/$b" ] || [ ! -x "$SRC/bin/$b" ]; then
		fail "this tree ($SRC) lacks bin/$b"
	fi
done
if [ ! -d "$DEST" ]; then
	{ [ -e "$DEST" ] || [ -L "$DEST" ]; } && fail "$DEST exists and is not a directory"
	mkdir -p -- "$DEST" || fail "cannot create $DEST"
	chmod 0755 "$DEST" || fail "cannot create $DEST"
	echo "created $DEST"
fi
D=$(cd -P -- "$DEST" && pwd -P) || fail "cannot enter $DEST"
[ "$D" != "$SRC" ] || fail "$DEST is this tree itself"

# sig PATH: a description of PATH and everything under it (type, mode,
# content checksum, link target), to tell whether two trees are the same.
sig() {
	if [ ! -e "$1" ] && [ ! -L "$1" ]; then
		echo missing
		return
	fi
	# ls -ld for the mode string: POSIX has no stat(1); names are ours.
	# shellcheck disable=SC2012
	find "$1" | LC_ALL=C sort | while IFS= read -r p; do
		r=${p#"$1"}
		if [ -L "$p" ]; then
			echo "l $r $(readlink -- "$p")"
		elif [ -f "$p" ]; then
			echo "f $r $(ls -ld -- "$p" | cut -c1-10) $(cksum <"$p")"
		else
			echo "o $r $(ls -ld -- "$p" | cut -c1-10)"
		fi
	done
}

# undo: put back what the swap moved, last move first.
undo() {
	if [ -z "$DONE" ]; then
		[ -z "$BACKUP" ] || rmdir -- "$BACKUP" 2>/dev/null
		return 0
	fi
	_ok=1
	for m in $DONE; do
		c=${m#?:}
		case $m in
		n:* | k:*) mv -f -- "$D/$c" "$STAGE/$c" || { _ok=0; echo "cannot move back $D/$c"; } ;;
		b:*) mv -f -- "$BACKUP/$c" "$D/$c" || { _ok=0; echo "cannot restore $D/$c from $BACKUP"; } ;;
		esac
	done
	DONE=
	if [ "$_ok" = 1 ]; then
		rmdir -- "$BACKUP" 2>/dev/null
		echo "undone: $D is as it was"
	else
		STAGE= # what is left of the new tree stays for inspection
		echo "undo incomplete: the old components not in $D are in $BACKUP"
	fi
}
trap 'fail "interrupted"' HUP INT TERM

# A stage left by a run that was killed (SIGKILL, power cut) is removed.
for old in "$D"/.upgrade-stage.*; do
	[ -d "$old" ] || continue
	rm -rf "$old" || fail "cannot remove the stale stage $old"
	echo "removed the stale stage $old"
done

# 1. Stage.
STAGE=$(mktemp -d "$D/.upgrade-stage.XXXXXX") || fail "cannot make a stage directory in $D"
for c in $COMPONENTS; do
	cp -RPp -- "$SRC/$c" "$STAGE/$c" || fail "cannot copy $c into $STAGE"
done
# A fresh tree's kept parts.
for k in $KEPT; do
	[ -e "$D/$k" ] || [ -L "$D/$k" ] && continue
	case $k in
	custom | build)
		cp -RPp -- "$SRC/$k" "$STAGE/$k" || fail "cannot copy $k into $STAGE"
		find "$STAGE/$k" -name .keep -exec rm -f {} + || fail "cannot tidy $STAGE/$k"
		;;
	conf) mkdir -m 0700 "$STAGE/$k" || fail "cannot make $STAGE/$k" ;;
	*) mkdir -m 0755 "$STAGE/$k" || fail "cannot make $STAGE/$k" ;;
	esac
done
for c in $COMPONENTS; do
	[ "$(sig "$SRC/$c")" = "$(sig "$STAGE/$c")" ] || fail "the staged $c differs from $SRC/$c (disk full?)"
done

# What differs.
CHANGE=
for c in $COMPONENTS; do
	[ "$(sig "$STAGE/$c")" = "$(sig "$D/$c")" ] || CHANGE="$CHANGE $c"
done
NEW=
for k in $KEPT; do
	if [ -e "$STAGE/$k" ]; then
		NEW="$NEW $k"
	else
		echo "keeping existing $D/$k"
	fi
done
if [ -z "$CHANGE$NEW" ]; then
	rm -rf "$STAGE"
	echo "upgrade success: $D unchanged"
	exit 0
fi

# 2. Swap.
for c in $CHANGE; do
	if [ -e "$D/$c" ] || [ -L "$D/$c" ]; then
		BACKUP=$D/backup-$(date +%Y%m%d-%H%M%S)
		[ -e "$BACKUP" ] && BACKUP=$(mktemp -d "$BACKUP.XXXXXX")
		[ -d "$BACKUP" ] || mkdir -m 0700 "$BACKUP" || fail "cannot make $BACKUP"
		break
	fi
done
REPLACED=
ADDED=
for c in $CHANGE; do
	if [ -e "$D/$c" ] || [ -L "$D/$c" ]; then
		mv -- "$D/$c" "$BACKUP/$c" || fail "cannot move $D/$c to $BACKUP"
		DONE="b:$c $DONE"
		REPLACED="$REPLACED $c"
	else
		ADDED="$ADDED $c"
	fi
	mv -- "$STAGE/$c" "$D/$c" || fail "cannot move the new $c into $D"
	DONE="n:$c $DONE"
done
for k in $NEW; do
	mv -- "$STAGE/$k" "$D/$k" || fail "cannot move the new $k into $D"
	DONE="k:$k $DONE"
done
DONE=
trap - HUP INT TERM
rm -rf "$STAGE"
STAGE=

for c in $REPLACED; do echo "replaced $c"; done
for c in $ADDED $NEW; do echo "installed $c"; done
if [ -n "$BACKUP" ]; then
	echo "old components moved to $BACKUP"
fi
# The original's upstart jobs, when DEST sits at the top of a system root
# (/LuoYun, /mnt/image/LuoYun), still name the programs just moved away.
top=$(dirname -- "$D")
if grep -qs "^[^#]*/$(basename -- "$D")/bin/" "$top"/etc/init/luoyun/*.conf; then
	echo "next: run install.sh (chroot $top /$(basename -- "$D")/install.sh, or $D/install.sh --root $top): the original's jobs in $top/etc/init/luoyun still run the old programs"
fi
echo "upgrade success: $D${BACKUP:+, backup $BACKUP}"
exit 0
