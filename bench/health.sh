#!/usr/bin/env bash
# Requests per second and latency of GET /health on a running daemon.
#
#   sudo bench/health.sh            # 50,000 requests over 20 connections
#   N=200000 C=50 sudo bench/health.sh
#
# Builds ntphealth and bench/healthload, starts a private chronyd (see
# lib.sh) and "ntphealth run --interval 1s" against it, loads /health from
# this machine's loopback, stops everything and prints the figures. The
# daemon and the load generator share the machine's CPUs. /health is
# served from the cached report, so chronyd's state does not matter: with
# "local stratum 2" the verdict is CRITICAL (free-running) and /health
# answers 503, which counts as an answer.

. "$(dirname "$0")/lib.sh"

N=${N:-50000}
C=${C:-20}

build_ntphealth
(cd "$(dirname "$0")/.." && go build -o "$WORK/healthload" ./bench/healthload)
start_chronyd
port=$(random_port)
start_daemon health --chrony "$CHRONY_ADDR" --listen "127.0.0.1:$port" --interval 1s
for ((i = 0; i < 100; i++)); do
	"$WORK/healthload" -url "http://127.0.0.1:$port/health" -n 1 -c 1 >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 1 # a first check has finished

echo "== GET /health: $N requests over $C connections, $(nproc) CPUs, daemon at --interval 1s against chronyd $CHRONY_ADDR"
before=$(cpu_ns "$DAEMON_PID")
before_ticks=$(cpu_ticks_ns "$DAEMON_PID")
"$WORK/healthload" -url "http://127.0.0.1:$port/health" -n "$N" -c "$C"
after=$(cpu_ns "$DAEMON_PID")
after_ticks=$(cpu_ticks_ns "$DAEMON_PID")
awk -v t=$((after - before)) -v n="$N" \
	'BEGIN { printf "daemon CPU  %.2f s for the load, %.1f µs per request\n", t / 1e9, t / 1e3 / n }'
awk -v t=$((after_ticks - before_ticks)) -v n="$N" \
	'BEGIN { printf "            %.2f s by utime+stime, %.1f µs per request\n", t / 1e9, t / 1e3 / n }'
echo "daemon RSS  $(rss_kib "$DAEMON_PID") KiB after the load"
stop_daemon "$DAEMON_PID"
