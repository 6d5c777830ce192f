# init/confine.sh: shell functions install.sh and uninstall.sh share
# (they source it from their own tree, so it is written once). POSIX sh;
# it defines functions only.
#
# R is the target's root as seen on this host ("" for /).

# resolve PATH [follow]: where PATH, absolute as the target system sees it,
# is on this host. Symbolic links on the way are followed as a chroot into
# the target would: an absolute target starts again at the target's root
# and ".." never goes above it, so the result is always inside the root.
# The last component is followed only with "follow" (a link install.sh
# makes or replaces is itself the entry).
resolve() {
	if [ -z "$R" ]; then
		printf '%s\n' "$1"
		return 0
	fi
	_todo=${1#/}
	_got=
	_hops=0
	while [ -n "$_todo" ]; do
		_c=${_todo%%/*}
		case $_todo in */*) _todo=${_todo#*/} ;; *) _todo= ;; esac
		case $_c in
		'' | .) continue ;;
		..) _got=${_got%/*}; continue ;;
		esac
		if [ -L "$R$_got/$_c" ] && { [ -n "$_todo" ] || [ "$2" = follow ]; }; then
			_hops=$((_hops + 1))
			[ "$_hops" -le 40 ] || { echo "too many symbolic links in $1 under $R" >&2; return 1; }
			_t=$(readlink -- "$R$_got/$_c") || return 1
			case $_t in /*) _got= ;; esac
			_todo=${_t#/}${_todo:+/$_todo}
		else
			_got=$_got/$_c
		fi
	done
	printf '%s%s\n' "$R" "${_got:-/}"
}
