#!/bin/sh
# install.sh: make the LuoYun OS manager start at boot.
#
# Usage: install.sh [--init auto|systemd|upstart|sysv] [--root DIR] [--force] [-h]
#
#   --init KIND  which init system (env LUOYUN_INIT; default auto)
#   --root DIR   install into the system under DIR, e.g. an image being
#                built (env LUOYUN_INSTALL_ROOT; default /)
#   --force      replace entries that exist but were not installed by us
#                (each is saved first in <tree>/backup-YYYYmmdd-HHMMSS/)
#
# SysV rc links, upstart jobs or systemd units that start <tree>/osmanager.sh,
# listed in <tree>/install.manifest for uninstall.sh; the original
# LuoYun's entries for the tree are replaced. --help says more. The work
# is done by this tree's bin/osc (osc install); this script finds the tree
# (its own directory, links to the script followed) and hands over.
# It ends with "install success: ..." (exit 0) or "install failed: ..."
# (exit 1); 2 is a usage mistake.

p=$0
case $p in */*) ;; *) p=$(command -v -- "$p") || p=./$p ;; esac
n=0
while [ -L "$p" ] && [ $n -lt 40 ] && t=$(readlink -- "$p"); do
	case $t in /*) p=$t ;; *) p=${p%/*}/$t ;; esac
	n=$((n + 1))
done
[ -x "${p%/*}/bin/osc" ] || { echo "install failed: ${p%/*}/bin/osc not found"; exit 1; }
exec "${p%/*}/bin/osc" install --tree "${p%/*}" "$@"
