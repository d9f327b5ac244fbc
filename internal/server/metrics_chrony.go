package server

import (
	"math/bits"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// The chrony_* metrics carry the names, help texts and labels of
// chrony_exporter (github.com/SuperQ/chrony_exporter, collector/collector.go,
// collector/tracking.go, collector/sources.go; sourcestats and serverstats
// in metrics_chrony_stats.go), so dashboards and alert rules
// written for it keep working. They are emitted only when the observed
// daemon is chronyd.
var (
	// collector.go: upMetric.
	descChronyUp = prometheus.NewDesc("chrony_up", "Whether the chrony server is up.", nil, nil)

	// tracking.go: trackingInfo and the tracking gauges.
	descTrackingInfo = prometheus.NewDesc("chrony_tracking_info", "Chrony tracking info",
		[]string{"tracking_address", "tracking_name", "tracking_refid"}, nil)
	descTrackingLastOffset = prometheus.NewDesc("chrony_tracking_last_offset_seconds",
		"Chrony tracking last offset in seconds", nil, nil)
	descTrackingRefTime = prometheus.NewDesc("chrony_tracking_reference_timestamp_seconds",
		"Chrony tracking Reference timestamp", nil, nil)
	descTrackingSystemTime = prometheus.NewDesc("chrony_tracking_system_time_seconds",
		"Chrony tracking System time", nil, nil)
	descTrackingRemote = prometheus.NewDesc("chrony_tracking_remote_reference",
		"Chrony tracking is connected to a remote source", nil, nil)
	descTrackingRMSOffset = prometheus.NewDesc("chrony_tracking_rms_offset_seconds",
		"Chrony tracking long-term average of the offset", nil, nil)
	descTrackingRootDelay = prometheus.NewDesc("chrony_tracking_root_delay_seconds",
		"This is the total of the network path delays to the stratum-1 computer from which the computer is ultimately synchronised", nil, nil)
	descTrackingRootDispersion = prometheus.NewDesc("chrony_tracking_root_dispersion_seconds",
		"Chrony tracking total of all measurement errors to the NTP root", nil, nil)
	descTrackingFrequency = prometheus.NewDesc("chrony_tracking_frequency_ppms",
		"Rate by which the system's clock would be wrong if chronyd was not correcting it, in PPMs", nil, nil)
	descTrackingResidualFrequency = prometheus.NewDesc("chrony_tracking_residual_frequency_ppms",
		"For the currently selected reference source, the difference between the frequency it suggests and the one currently in use, in PPMs", nil, nil)
	descTrackingSkew = prometheus.NewDesc("chrony_tracking_skew_ppms",
		"The estimated error bound on the frequency, in PPMs", nil, nil)
	descTrackingUpdateInterval = prometheus.NewDesc("chrony_tracking_update_interval_seconds",
		"The time elapsed since the last measurement from the reference source was processed, in seconds", nil, nil)
	descTrackingStratum = prometheus.NewDesc("chrony_tracking_stratum",
		"Chrony tracking client stratum", nil, nil)
	// Not in chrony_exporter (v0.12): ntphealth's own, named in its style.
	descTrackingLeap = prometheus.NewDesc("chrony_tracking_leap_status",
		"Chrony tracking leap status (RFC 5905 leap indicator): 0 normal, 1 insert second, 2 delete second, 3 not synchronised", nil, nil)

	// sources.go: one series per source, labelled source_address and
	// source_name.
	sourceLabels      = []string{"source_address", "source_name"}
	descSourcesLastRx = prometheus.NewDesc("chrony_sources_last_sample_age_seconds",
		"Chrony sources last good sample age in seconds", sourceLabels, nil)
	descSourcesLastSample = prometheus.NewDesc("chrony_sources_last_sample_offset_seconds",
		"Chrony sources last sample offset in seconds", sourceLabels, nil)
	descSourcesLastSampleErr = prometheus.NewDesc("chrony_sources_last_sample_error_margin_seconds",
		"Chrony sources last sample margin of error in seconds", sourceLabels, nil)
	descSourcesPollInterval = prometheus.NewDesc("chrony_sources_polling_interval_seconds",
		"Chrony sources polling interval in seconds", sourceLabels, nil)
	descSourcesStateInfo = prometheus.NewDesc("chrony_sources_state_info",
		"Chrony sources state info", []string{"source_address", "source_name", "source_state", "source_mode"}, nil)
	descSourcesStratum = prometheus.NewDesc("chrony_sources_stratum",
		"Chrony sources stratum", sourceLabels, nil)
	// chrony_exporter 0.10.0 "Add sources reachability metrics" (#76).
	descSourcesReachRatio = prometheus.NewDesc("chrony_sources_reachability_ratio",
		"Chrony sources ratio of the last 8 polls that got a valid reply", sourceLabels, nil)
	descSourcesReachRaw = prometheus.NewDesc("chrony_sources_reachability_raw",
		"Chrony sources raw reachability register (8 bits, chronyc prints it in octal)", sourceLabels, nil)
)

// chronyStates maps chronyc's state column to chrony_exporter's
// source_state label, which is facebook/time's SourceStateDesc.
var chronyStates = map[observe.State]string{
	observe.StateSelected:    "sync",
	observe.StateUnreachable: "unreach",
	observe.StateFalseticker: "falseticker",
	observe.StateJittery:     "jittery",
	observe.StateCombined:    "candidate",
	observe.StateNotCombined: "outlier",
}

// chronyModes maps a source mode to chrony_exporter's source_mode label,
// which is facebook/time's ModeTypeDesc.
var chronyModes = map[observe.Mode]string{
	observe.ModeServer:   "client",
	observe.ModePeer:     "peer",
	observe.ModeRefclock: "reference clock",
}

// refidLocal is the reference ID of chrony's "local" directive, 127.127.1.1
// (chrony.conf(5)); chrony_exporter reports remote_reference 0 for it.
const refidLocal = "7F7F0101"

// chronyCollector builds chrony_exporter's metrics from the latest report.
type chronyCollector struct{ state *State }

// Describe implements prometheus.Collector.
func (c chronyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChronyUp, descTrackingInfo, descTrackingLastOffset,
		descTrackingRefTime, descTrackingSystemTime, descTrackingRemote, descTrackingRMSOffset,
		descTrackingRootDelay, descTrackingRootDispersion, descTrackingFrequency,
		descTrackingResidualFrequency, descTrackingSkew, descTrackingUpdateInterval,
		descTrackingStratum, descTrackingLeap, descSourcesLastRx, descSourcesLastSample,
		descSourcesLastSampleErr, descSourcesPollInterval, descSourcesStateInfo,
		descSourcesStratum, descSourcesReachRatio, descSourcesReachRaw} {
		ch <- d
	}
	for _, d := range chronyStatsDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c chronyCollector) Collect(ch chan<- prometheus.Metric) {
	rep, ok := c.state.Latest()
	if !ok || rep.Daemon == nil || rep.Daemon.Kind != "chrony" {
		return
	}
	d := rep.Daemon
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	if d.Error != "" {
		gauge(descChronyUp, 0)
		return
	}
	gauge(descChronyUp, 1)

	t := d.Tracking
	addr := t.RefName
	if sel, ok := d.Selected(); ok && sel.Address != "" {
		addr = sel.Address
	}
	gauge(descTrackingInfo, 1, addr, t.RefName, t.RefID)
	// chrony_exporter passes chronyd's numbers through; observe uses RFC
	// 5905's sign (positive: local clock slow), so the probe flipped the
	// last offset and each sample's offset, which are flipped back here.
	gauge(descTrackingLastOffset, -t.LastOffset)
	gauge(descTrackingRefTime, unixSeconds(t.RefTime))
	// chronyd's "current correction" already has RFC 5905's sign.
	gauge(descTrackingSystemTime, t.SystemOffset)
	remote := 1.0
	if t.RefID == refidLocal {
		remote = 0
	}
	gauge(descTrackingRemote, remote)
	gauge(descTrackingRMSOffset, t.RMSOffset)
	gauge(descTrackingRootDelay, t.RootDelay)
	gauge(descTrackingRootDispersion, t.RootDispersion)
	gauge(descTrackingFrequency, t.Frequency)
	gauge(descTrackingResidualFrequency, t.ResidualFrequency)
	gauge(descTrackingSkew, t.Skew)
	gauge(descTrackingUpdateInterval, t.UpdateInterval)
	gauge(descTrackingStratum, float64(t.Stratum))
	gauge(descTrackingLeap, float64(t.Leap))

	seen := map[[2]string]bool{}
	for _, s := range d.Sources {
		l := sourceLabelValues(s)
		if seen[l] { // a duplicate label set would fail the whole scrape
			continue
		}
		seen[l] = true
		if s.SampleAge != nil { // no sample yet: no series, as chronyc prints "-"
			gauge(descSourcesLastRx, *s.SampleAge, l[0], l[1])
		}
		gauge(descSourcesLastSample, -s.Offset, l[0], l[1])
		gauge(descSourcesLastSampleErr, s.OffsetError, l[0], l[1])
		gauge(descSourcesPollInterval, s.PollInterval(), l[0], l[1])
		gauge(descSourcesStateInfo, 1, l[0], l[1], chronyStates[s.State], chronyModes[s.Mode])
		gauge(descSourcesStratum, float64(s.Stratum), l[0], l[1])
		gauge(descSourcesReachRatio, float64(bits.OnesCount8(s.Reach))/8, l[0], l[1])
		gauge(descSourcesReachRaw, float64(s.Reach), l[0], l[1])
		collectSourceStats(ch, s, l)
	}
	collectServerStats(ch, d.ServerStats)
}

// sourceLabelValues returns source_address and source_name as
// chrony_exporter sets them. A refclock has no address: chronyd sends its
// refid in the address field and chrony_exporter prints that as an IPv4
// address ("PPS" is 0x50505300, "80.80.83.0"), and the refid name as
// source_name.
func sourceLabelValues(s observe.Source) [2]string {
	if s.Mode == observe.ModeRefclock && s.Address == "" {
		return [2]string{refidAddress(s.Name), s.Name}
	}
	return [2]string{s.Address, s.Name}
}

// refidAddress prints a refid name ("PPS", or 8 hex digits when it is not
// printable) as the IPv4 address with the same four bytes.
func refidAddress(name string) string {
	var id uint32
	if len(name) == 8 {
		if v, err := strconv.ParseUint(name, 16, 32); err == nil {
			id = uint32(v)
			return net.IPv4(byte(id>>24), byte(id>>16), byte(id>>8), byte(id)).String()
		}
	}
	if len(name) > 4 {
		return name
	}
	var b [4]byte
	copy(b[:], name)
	return net.IPv4(b[0], b[1], b[2], b[3]).String()
}

// unixSeconds is t in seconds since the Unix epoch; 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
