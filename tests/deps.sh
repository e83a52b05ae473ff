#!/bin/sh
# deps.sh - install the Debian 12 packages popgate builds, tests and runs
# with, as root or through sudo. Does nothing when all are present; fails
# loudly (never skips a suite) when it cannot install.
set -eu

# Exim, Sendmail and ucspi-tcp conflict with the installed Postfix as
# packages: tests/mta/ runs them unpacked from this cache (dpkg-deb -x)
MTA_DEBS="exim4-daemon-light exim4-base libidn12 sendmail-bin sendmail-base sendmail-cf ucspi-tcp ucspi-tcp-ipv6 m4"
MTA_CACHE=${POPGATE_DEBS:-/var/cache/popgate-test-debs}

as_root() {	# the command as root (or through sudo), or fail loudly
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		echo "deps: need root or password-less sudo to run: $*" >&2
		exit 1
	fi
}

# mta_unpacked - every MTA package unpacked under $MTA_CACHE/x/<package>
mta_unpacked() {
	for p in $MTA_DEBS; do
		[ -f "$MTA_CACHE/x/$p/.unpacked" ] || return 1
	done
}

fetch_mtas() {
	mta_unpacked && return 0
	echo "deps: fetching $MTA_DEBS into $MTA_CACHE (not installed)"
	as_root mkdir -p "$MTA_CACHE/x"
	# APT::Sandbox::User=root: _apt cannot write into a root-only cache
	(cd "$MTA_CACHE" && as_root apt-get download -q \
		-o APT::Sandbox::User=root $MTA_DEBS) || {
		echo "deps: apt-get download $MTA_DEBS failed" >&2
		exit 1
	}
	for p in $MTA_DEBS; do
		deb=$(ls "$MTA_CACHE/${p}_"*.deb | tail -n 1)
		as_root rm -rf "$MTA_CACHE/x/$p"
		as_root mkdir -p "$MTA_CACHE/x/$p"
		as_root dpkg-deb -x "$deb" "$MTA_CACHE/x/$p"
		as_root touch "$MTA_CACHE/x/$p/.unpacked"
	done
}

BUILD_PKGS="build-essential pkg-config liblmdb-dev lmdb-utils libpcre2-dev libinotifytools0-dev libsystemd-dev libjson-c-dev zlib1g-dev liblzma-dev libzstd-dev"
TEST_PKGS="libcmocka-dev python3 gzip xz-utils zstd mandoc dovecot-pop3d dovecot-imapd postfix swaks rsyslog logrotate util-linux systemd-journal-remote clang libclang-rt-14-dev"
# make deb (and tests/systemd/deb.t): debhelper and lintian
DEB_PKGS="debhelper lintian"
case "${1:-}" in
build) PKGS="$BUILD_PKGS" ;;
deb) PKGS="$BUILD_PKGS $DEB_PKGS" ;;
*) PKGS="$BUILD_PKGS $TEST_PKGS $DEB_PKGS" ;;
esac

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	[ "${1:-}" = "build" ] || fetch_mtas
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing" >&2
	echo "deps: need root or password-less sudo to install them (apt-get install$missing)" >&2
	exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# --no-remove: never replace anything already on an admin's machine
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-remove \
	-o Dpkg::Options::=--force-confold $missing
[ "${1:-}" = "build" ] || fetch_mtas
