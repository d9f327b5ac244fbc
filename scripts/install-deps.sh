#!/bin/sh
# install-deps.sh: install what the tests drive for real, from Debian's
# packages: chronyd, gpsd, Chromium (status page test), systemd-analyze (unit
# checks), iproute2/util-linux (namespaces for ntpd), Prometheus with promtool
# and Alertmanager (the rules' unit tests and the fleet end-to-end test, which
# start their own instances; the packages' services stay off without
# systemd as PID 1, and do no harm with it), and an unpacked ntpsec
# (not installed: it would remove chrony). Needs root. Installing these does
# not start any daemon on a machine without systemd as PID 1; on one with
# systemd, chrony's own service would start (the tests use private instances
# on other ports, so it does no harm). qemu-user-static runs the arm64 and
# 32-bit ARM builds here (the qemu runs of scripts/test.sh, e2e/crossarch).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	chrony gpsd linuxptp chromium systemd iproute2 util-linux procps ca-certificates \
	prometheus prometheus-alertmanager \
	qemu-user-static git make gcc g++ libc6-dev python3 curl >/dev/null
"$(dirname "$0")/fetch-ntpsec.sh"
