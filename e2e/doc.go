// Package e2e holds end-to-end tests: the real ntphealth binary, built once
// per run, against real daemons and real receivers of its pushes (Uptime
// Kuma, installed by scripts/install-kuma.sh) and of its metrics
// (Prometheus and Alertmanager from Debian, loading deploy/prometheus as
// shipped), all on loopback.
//
// The package has no code of its own; its tests are in the _test.go files.
package e2e
