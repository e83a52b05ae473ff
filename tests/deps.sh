#!/bin/sh
# deps.sh - install the Debian 12 packages popgate builds, tests and runs
# with, as root or through sudo. Does nothing when all are present; fails
# loudly (never skips a suite) when it cannot install.
set -eu

BUILD_PKGS="build-essential pkg-config liblmdb-dev lmdb-utils libpcre2-dev libinotifytools0-dev libsystemd-dev"
TEST_PKGS="libcmocka-dev python3 mandoc dovecot-pop3d dovecot-imapd postfix swaks rsyslog logrotate util-linux systemd-journal-remote clang libclang-rt-14-dev"
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
[ -n "$missing" ] || exit 0

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
