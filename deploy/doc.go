// Package deploy holds what installs ntphealth on a machine: the systemd
// units in systemd/ (the hardened agent ntphealth.service, and the
// ntphealth-check.timer + oneshot pair that replaces the shell script), the
// Debian maintainer scripts in debian/, and the .deb builder in debpkg/
// (`make deb`); and what watches a fleet of them: the Prometheus alerting
// and recording rules in prometheus/ (with their promtool unit tests in
// prometheus/tests/) and the Grafana dashboard in grafana/.
//
// The package has no Go API. Its tests check the units with
// systemd-analyze verify and security, install the built .deb with dpkg,
// run promtool check rules and test rules, and check the dashboard's
// schema (e2e/prometheus_test.go runs its queries).
package deploy
