#!/bin/sh
# fetch-ntpsec.sh: unpack Debian's ntpsec into a private folder for the ntpd
# probe's tests, WITHOUT installing it. `apt-get install ntpsec` would remove
# chrony (both provide and conflict on time-daemon), so the package is only
# downloaded and unpacked with dpkg-deb -x. ntpd then runs from
# $DIR/usr/sbin/ntpd; its libraries (libssl3, libcap2, libbsd0) are already
# on a Debian 12 system.
#
# Usage: scripts/fetch-ntpsec.sh [DIR]
# DIR defaults to $NTPHEALTH_NTPSEC_DIR, else /var/cache/ntphealth-test/ntpsec.
# Also unpacks python3-ntp, so `PYTHONPATH=$DIR/usr/lib/python3/dist-packages
# $DIR/usr/bin/ntpq` works for debugging (the tests do not need it).
set -eu

dir=${1:-${NTPHEALTH_NTPSEC_DIR:-/var/cache/ntphealth-test/ntpsec}}

if [ -x "$dir/usr/sbin/ntpd" ]; then
	echo "ntpsec already unpacked in $dir"
	exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current directory; as root it needs a
# directory the _apt user may write, so fall back to running as root there.
chmod 0777 "$tmp"
(cd "$tmp" && apt-get download ntpsec python3-ntp)
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$dir"
done
# ntpq's ntpc.py looks for libntpc.so next to itself (or in /usr/lib).
lib=$(find "$dir/usr/lib" -name libntpc.so.1 | head -n 1)
if [ -n "$lib" ]; then
	cp "$lib" "$dir/usr/lib/python3/dist-packages/ntp/libntpc.so"
fi
test -x "$dir/usr/sbin/ntpd"
echo "ntpsec unpacked in $dir: $("$dir/usr/sbin/ntpd" --version 2>&1 | head -n 1)"
