#!/bin/sh
# uninstall.sh: remove the boot entries install.sh made, and nothing else.
#
# Usage: uninstall.sh [--root DIR] [-h]
#
#   --root DIR   the system install.sh was run for (env LUOYUN_INSTALL_ROOT;
#                default /)
#
# It reads <tree>/install.manifest (written by install.sh), removes each
# file and link listed there, then each directory listed there that is
# empty, then the manifest. A link that now points elsewhere is left alone
# and reported. Without a manifest (a tree installed by the original
# scripts) it removes only the /etc/rc{2,3,4,5}.d/S99luoyun-osmanager links
# that point at this tree's osmanager.sh, as the original uninstall did.
# The tree itself (/LuoYun) stays; running components are not stopped.
#
# It ends with "uninstall success" (exit 0) or "uninstall failed: ..." (exit 1).

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

fail() {
	echo "uninstall failed: $*"
	exit 1
}

ROOT=${LUOYUN_INSTALL_ROOT:-/}
while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || { echo "uninstall.sh: --root needs a value" >&2; exit 2; }; ROOT=$2; shift ;;
	--root=*) ROOT=${1#*=} ;;
	-h | --help) usage; exit 0 ;;
	*) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

SRC=$(self_dir) || fail "cannot find the directory of uninstall.sh"
# resolve (paths inside the target root) is shared with install.sh.
# shellcheck source-path=SCRIPTDIR source=init/confine.sh
. "$SRC/init/confine.sh" || fail "cannot read $SRC/init/confine.sh"
[ -d "$ROOT" ] || fail "target root $ROOT is not a directory"
R=$(cd -P -- "$ROOT" && pwd -P) || fail "cannot enter $ROOT"
[ "$R" = / ] && R=
MANIFEST=$SRC/install.manifest

if [ ! -f "$MANIFEST" ]; then
	# The original install.sh left no manifest: remove its links only.
	if [ -n "$LUOYUN_DIR" ]; then
		DIR=$LUOYUN_DIR
	else
		case $SRC in "$R"/*) DIR=${SRC#"$R"} ;; *) DIR=$SRC ;; esac
	fi
	echo "no $MANIFEST: removing only links to $DIR/osmanager.sh"
	for n in 2 3 4 5; do
		l=$(resolve "/etc/rc$n.d/S99luoyun-osmanager") || continue
		if [ -L "$l" ] && [ "$(readlink "$l")" = "$DIR/osmanager.sh" ]; then
			rm -f "$l" || fail "cannot remove $l"
			echo "removed /etc/rc$n.d/S99luoyun-osmanager"
		fi
	done
	echo "uninstall success"
	exit 0
fi

KIND=$(sed -n 's/^# init //p' "$MANIFEST")
left=
# Files and links, last installed first.
grep -E '^[fl] ' "$MANIFEST" | sed -n '1!G;h;$p' | while read -r type path arg; do
	p=$(resolve "$path") || continue
	case $type in
	l)
		if [ -L "$p" ]; then
			if [ "$(readlink "$p")" = "$arg" ]; then
				rm -f "$p" && echo "removed $path"
			else
				echo "kept $path: it now points at $(readlink "$p")"
			fi
		fi
		;;
	f)
		if [ -f "$p" ] && [ ! -L "$p" ]; then
			rm -f "$p" && echo "removed $path"
		elif [ -e "$p" ]; then
			echo "kept $path: no longer a regular file"
		fi
		;;
	esac
done
# Directories install.sh created, deepest first, when empty.
grep -E '^d ' "$MANIFEST" | sort -r | while read -r type path; do
	p=$(resolve "$path" follow) || continue
	[ -d "$p" ] || continue
	if [ -z "$(ls -A "$p")" ] && rmdir "$p"; then
		echo "removed $path/"
	else
		echo "kept $path/: not empty"
	fi
done

# Verify: no file or link of ours is left (kept foreign ones excepted).
while read -r type path arg; do
	p=$(resolve "$path") || continue
	case $type in
	l) [ -L "$p" ] && [ "$(readlink "$p")" = "$arg" ] && left="$left $path" ;;
	f) [ -f "$p" ] && [ ! -L "$p" ] && left="$left $path" ;;
	esac
done <<EOF
$(grep -E '^[fl] ' "$MANIFEST")
EOF
[ -z "$left" ] || fail "still in place:$left"
rm -f "$MANIFEST" || fail "cannot remove $MANIFEST"

if [ -z "$R" ]; then
	case $KIND in
	systemd) [ -d /run/systemd/system ] && systemctl daemon-reload ;;
	upstart) command -v initctl >/dev/null 2>&1 && initctl reload-configuration ;;
	esac
fi
echo "uninstall success${KIND:+: $KIND}"
exit 0
