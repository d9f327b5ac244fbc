package server

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/source"
)

// The ntphealth_* metrics: the verdict, each check, each probe, the pushes.
// Status values are Nagios plugin exit codes (0 OK, 1 WARNING, 2 CRITICAL,
// 3 UNKNOWN).
var (
	descBuildInfo = prometheus.NewDesc("ntphealth_build_info",
		"A metric with a constant '1' value labeled by the ntphealth version and the Go version it was built with.",
		[]string{"version", "goversion"}, nil)
	descStatus = prometheus.NewDesc("ntphealth_status",
		"Overall status of the latest check as a Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also before the first check).",
		nil, nil)
	descCheckStatus = prometheus.NewDesc("ntphealth_check_status",
		"Status of each named check in the latest report as a Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
		[]string{"check"}, nil)
	descProbeUp = prometheus.NewDesc("ntphealth_probe_up",
		"Whether the probe read its source of truth in the latest check (1) or failed (0).",
		[]string{"probe"}, nil)
	descProbeDuration = prometheus.NewDesc("ntphealth_probe_duration_seconds",
		"How long the probe took in the latest check, seconds.",
		[]string{"probe"}, nil)
	descTargetStatus = prometheus.NewDesc("ntphealth_target_status",
		"Status of each remote NTP server checked from here (--ntp) as a Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
		[]string{"target"}, nil)
	// The daemon's view in ntphealth's own terms, the same for chronyd and
	// ntpd (chrony_* mirrors chrony_exporter; an ntpd host has these).
	descOffset = prometheus.NewDesc("ntphealth_offset_seconds",
		"System clock offset reported by the time daemon, seconds (RFC 5905 theta): positive when the local clock is behind true time, negative when it is ahead.",
		[]string{"daemon"}, nil)
	descMaxError = prometheus.NewDesc("ntphealth_max_error_seconds",
		"Bound on the clock's error: |offset| + root delay/2 + root dispersion, seconds.",
		[]string{"daemon"}, nil)
	descStratum = prometheus.NewDesc("ntphealth_stratum",
		"Stratum of the time daemon.",
		[]string{"daemon"}, nil)
	descLeap = prometheus.NewDesc("ntphealth_leap_status",
		"Leap indicator of the time daemon (RFC 5905): 0 normal, 1 insert second, 2 delete second, 3 not synchronised.",
		[]string{"daemon"}, nil)
	descLastCheck = prometheus.NewDesc("ntphealth_last_check_timestamp_seconds",
		"When the latest check ran, seconds since the Unix epoch; 0 before the first check.",
		nil, nil)
	descPushTotal = prometheus.NewDesc("ntphealth_push_total",
		"Pushes to the configured targets since the daemon started, by result.",
		[]string{"result"}, nil)
	descLastPushSuccess = prometheus.NewDesc("ntphealth_last_push_success_timestamp_seconds",
		"When a push last succeeded, seconds since the Unix epoch; 0 if none has.",
		nil, nil)
)

// reportCollector builds the ntphealth_* metrics from the latest report at
// scrape time.
type reportCollector struct {
	state   *State
	version string
}

// Describe implements prometheus.Collector.
func (c reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuildInfo, descStatus, descCheckStatus,
		descProbeUp, descProbeDuration, descOffset, descMaxError, descStratum, descLeap, descTargetStatus, descLastCheck,
		descPushTotal, descLastPushSuccess} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c reportCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descBuildInfo, 1, c.version, goVersion)

	rep, ok := c.state.Latest()
	status, last := health.Unknown, 0.0
	if ok {
		status, last = rep.Status, unixSeconds(rep.Time)
	}
	gauge(descStatus, float64(status))
	gauge(descLastCheck, last)
	seen := map[string]bool{}
	for _, chk := range rep.Checks {
		if seen[chk.Name] { // a duplicate label set would fail the scrape
			continue
		}
		seen[chk.Name] = true
		gauge(descCheckStatus, float64(chk.Status), chk.Name)
	}
	probe := func(name, err string, duration float64, timed bool) {
		up := 0.0
		if err == "" {
			up = 1
		}
		gauge(descProbeUp, up, name)
		if timed {
			gauge(descProbeDuration, duration, name)
		}
	}
	if d := rep.Daemon; d != nil {
		probe(d.Kind, d.Error, d.DurationSeconds, true)
		if d.Error == "" {
			gauge(descOffset, d.Tracking.SystemOffset, d.Kind)
			gauge(descMaxError, d.Tracking.MaxError(), d.Kind)
			gauge(descStratum, float64(d.Tracking.Stratum), d.Kind)
			gauge(descLeap, float64(d.Tracking.Leap), d.Kind)
		}
	}
	if k := rep.Kernel; k != nil {
		probe("kernel", k.Error, 0, false)
	}
	if p := rep.PPS; p != nil {
		probe("pps", p.Error, 0, false)
	}
	if g := rep.GPS; g != nil {
		probe("gpsd", g.Error, g.DurationSeconds, true)
	}
	for _, rd := range rep.Readings { // pluggable sources (source.Reading)
		if r, ok := rd.Data.(interface{ ProbeError() string }); ok {
			probe(rd.Name, r.ProbeError(), 0, false)
		}
		if r, ok := rd.Data.(interface{ Collect(source.Emit) }); ok {
			r.Collect(func(m *source.Metric, v float64, labels ...string) {
				gauge(sourceDesc(m), v, labels...)
			})
		}
	}
	seenTarget := map[string]bool{}
	for _, tr := range rep.Targets {
		if seenTarget[tr.Target] {
			continue
		}
		seenTarget[tr.Target] = true
		gauge(descTargetStatus, float64(tr.Status), tr.Target)
	}

	p := c.state.Push()
	ch <- prometheus.MustNewConstMetric(descPushTotal, prometheus.CounterValue, float64(p.Success), "success")
	ch <- prometheus.MustNewConstMetric(descPushTotal, prometheus.CounterValue, float64(p.Failure), "failure")
	gauge(descLastPushSuccess, unixSeconds(p.LastSuccess))
}

// sourceDescs holds the Prometheus description of each pluggable source's
// metric (*source.Metric, package variables) once made.
var sourceDescs sync.Map

// sourceDesc returns the description of a pluggable source's gauge.
func sourceDesc(m *source.Metric) *prometheus.Desc {
	if d, ok := sourceDescs.Load(m); ok {
		return d.(*prometheus.Desc)
	}
	d, _ := sourceDescs.LoadOrStore(m, prometheus.NewDesc(m.Name, m.Help, m.Labels, nil))
	return d.(*prometheus.Desc)
}
