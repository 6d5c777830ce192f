#!/bin/sh
# upgrade.sh: put this OS manager tree in place at DEST, over an original
# LuoYun tree, over an older tree of ours, or where there is none yet.
#
# Usage: upgrade.sh [--root IMG] [DEST] [-h]
#
#   --root IMG  the image root the tree is in; DEST (default /LuoYun) is a
#               path inside it, its links followed as in a chroot at IMG
#   DEST        given alone: the tree's path on this host, no link on the way
#
# bin/ init/ and the scripts come from this tree; everything else DEST
# holds stays byte for byte (custom/ build/ conf/ log/ run/ ...). The new
# tree is built beside DEST and swapped with it in one step; what it
# replaced ends in DEST/backup-YYYYmmdd-HHMMSS. A run cut at any moment
# leaves the old tree or the new one, and the next run finishes the rest.
# The work is done by this tree's bin/osc (osc upgrade); --help says more.
# It ends with "upgrade success: ..." (exit 0) or "upgrade failed: ..."
# (exit 1); 2 is a usage mistake.

p=$0
case $p in */*) ;; *) p=$(command -v -- "$p") || p=./$p ;; esac
n=0
while [ -L "$p" ] && [ $n -lt 40 ] && t=$(readlink -- "$p"); do
	case $t in /*) p=$t ;; *) p=${p%/*}/$t ;; esac
	n=$((n + 1))
done
[ -x "${p%/*}/bin/osc" ] || { echo "upgrade failed: ${p%/*}/bin/osc not found"; exit 1; }
exec "${p%/*}/bin/osc" upgrade --tree "${p%/*}" "$@"
