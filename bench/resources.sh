#!/usr/bin/env bash
# Memory and CPU of "ntphealth run" over time, at each check interval.
#
#   sudo bench/resources.sh                       # 3 minutes, intervals 10s and 1s
#   DURATION=600 INTERVALS="30s 10s 1s" sudo bench/resources.sh
#
# Starts a private chronyd (lib.sh: local stratum 2 and NSOURCES unanswered
# loopback servers), then one "ntphealth run --interval I" per interval, side
# by side, each with its HTTP server on (nobody polls it) and no push
# target. Every SAMPLE seconds it reads VmRSS (/proc/PID/status) and
# the CPU time of its threads (/proc/PID/task/*/schedstat). It prints the largest RSS and the CPU time
# after the first SAMPLE seconds (start-up excluded), extrapolated to one
# hour.

. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-180}
# Intervals are whole seconds in Go syntax (10s, 1s).
INTERVALS=${INTERVALS:-"10s 1s"}
SAMPLE=${SAMPLE:-5}

build_ntphealth
start_chronyd
declare -A pid t0 rssmax rss0
for iv in $INTERVALS; do
	start_daemon "run-$iv" --chrony "$CHRONY_ADDR" --listen "127.0.0.1:$(random_port)" --interval "$iv"
	pid[$iv]=$DAEMON_PID
done
sleep "$SAMPLE"
for iv in $INTERVALS; do
	kill -0 "${pid[$iv]}" || { echo "ntphealth run --interval $iv died:" >&2; cat "$WORK/run-$iv.log" >&2; exit 1; }
	t0[$iv]=$(cpu_ns "${pid[$iv]}")
	rss0[$iv]=$(rss_kib "${pid[$iv]}")
	rssmax[$iv]=${rss0[$iv]}
done
start=$(date +%s.%N)
echo "== ntphealth run against chronyd $CHRONY_ADDR ($NSOURCES sources), ${DURATION} s each, sampled every ${SAMPLE} s, $(nproc) CPUs"
for ((elapsed = 0; elapsed < DURATION; elapsed += SAMPLE)); do
	sleep "$SAMPLE"
	for iv in $INTERVALS; do
		r=$(rss_kib "${pid[$iv]}")
		if ((r > rssmax[$iv])); then rssmax[$iv]=$r; fi
	done
done
end=$(date +%s.%N)
printf "%-9s %-14s %-14s %-9s %-12s %s\n" interval "RSS start KiB" "RSS max KiB" "CPU s" "CPU s/hour" "CPU ms/check"
for iv in $INTERVALS; do
	ns=$(($(cpu_ns "${pid[$iv]}") - t0[$iv]))
	awk -v iv="$iv" -v r0="${rss0[$iv]}" -v rmax="${rssmax[$iv]}" -v t="$ns" -v d="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -v secs="${iv%s}" \
		'BEGIN { printf "%-9s %-14d %-14d %-9.3f %-12.2f %.2f\n", iv, r0, rmax, t / 1e9, t / 1e9 * 3600 / d, t / 1e6 / (d / secs) }'
done
for iv in $INTERVALS; do
	stop_daemon "${pid[$iv]}"
done
