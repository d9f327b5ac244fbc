#!/bin/sh
# holdover.sh: the holdover forecast against a real chronyd. Cuts the PPS
# feed with no fallback and prints, for every forecast made each second
# after the cut, where it put the crossing of checks.offset_crit and how far
# that was from the moment chronyd's own maximum error crossed it.
# Needs root and chronyd (scripts/install-deps.sh); takes about a minute.
set -eu
cd "$(dirname "$0")/.."
CI=1 go test -count=1 -v -run '^TestHoldoverForecast$' ./internal/probe/chrony/ |
	sed -n 's/^ *holdover_integration_test.go:[0-9]*: //p'
