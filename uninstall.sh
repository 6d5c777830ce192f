#!/bin/sh
# uninstall.sh: remove the boot entries install.sh made, and nothing else.
#
# Usage: uninstall.sh [--root DIR] [-h]
#
#   --root DIR   the system install.sh was run for (env LUOYUN_INSTALL_ROOT;
#                default /)
#
# It removes what <tree>/install.manifest lists (a link that now points
# elsewhere is kept and reported), the listed directories left empty, and
# the manifest; without a manifest, only the original's rc links to this
# tree. The tree itself stays; running components are not stopped. The
# work is done by this tree's bin/osc (osc uninstall).
# It ends with "uninstall success" (exit 0) or "uninstall failed: ..." (exit 1).

p=$0
case $p in */*) ;; *) p=$(command -v -- "$p") || p=./$p ;; esac
n=0
while [ -L "$p" ] && [ $n -lt 40 ] && t=$(readlink -- "$p"); do
	case $t in /*) p=$t ;; *) p=${p%/*}/$t ;; esac
	n=$((n + 1))
done
[ -x "${p%/*}/bin/osc" ] || { echo "uninstall failed: ${p%/*}/bin/osc not found"; exit 1; }
exec "${p%/*}/bin/osc" uninstall --tree "${p%/*}" "$@"
