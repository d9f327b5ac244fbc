#!/usr/bin/env bash
# GET /probe of one `ntphealth run` for 1,000 remote NTP servers, driven as
# Prometheus scrapes them (bench/probeload): each target once per 15 s
# interval, the requests spread evenly over the interval, two intervals;
# then, as a worst case Prometheus avoids, all 1,000 at once.
#
#   sudo bench/probe.sh
#   TARGETS=5000 INTERVAL=15s ROUNDS=2 sudo bench/probe.sh
#
# The NTP servers are in-process responders on loopback (127.1.x.y, one
# address each). Prints the latency percentiles and the daemon's CPU per
# probe. Everything runs on this machine's loopback and stops by itself.

. "$(dirname "$0")/lib.sh"

TARGETS=${TARGETS:-1000}
INTERVAL=${INTERVAL:-15s}
ROUNDS=${ROUNDS:-2}

build_ntphealth
(cd "$(dirname "$0")/.." && go build -o "$WORK/probeload" ./bench/probeload)
ulimit -n 65536 2>/dev/null || true
start_chronyd
port=$(random_port)
start_daemon probe --chrony "$CHRONY_ADDR" --listen "127.0.0.1:$port" --interval 30s
for ((i = 0; i < 100; i++)); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" = 503 ] && break
	sleep 0.1
done

echo "== GET /probe: $TARGETS targets, scrape interval $INTERVAL, $ROUNDS rounds, $(nproc) CPUs"
before=$(cpu_ns "$DAEMON_PID")
"$WORK/probeload" -url "http://127.0.0.1:$port/probe" -targets "$TARGETS" -interval "$INTERVAL" -rounds "$ROUNDS"
after=$(cpu_ns "$DAEMON_PID")
awk -v t=$((after - before)) -v n=$((TARGETS * ROUNDS)) \
	'BEGIN { printf "daemon CPU  %.2f s, %.0f µs per probe\n", t / 1e9, t / 1e3 / n }'
echo "daemon RSS  $(rss_kib "$DAEMON_PID") KiB"

echo "== GET /probe: $TARGETS targets at once (a worst case: Prometheus spreads its scrapes)"
"$WORK/probeload" -url "http://127.0.0.1:$port/probe" -targets "$TARGETS" -burst || true
stop_daemon "$DAEMON_PID"
