package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// chrony_exporter's sourcestats and serverstats metrics, with its names,
// help texts and labels (collector/sourcestats.go, collector/serverstats.go).
var (
	// sourcestats.go: one series per source, labelled as chrony_sources_*.
	// chrony_exporter skips refclocks here (their address family is
	// unspecified); ntphealth keeps them, labelled as in chrony_sources_*.
	descSourcestatsSamples = prometheus.NewDesc("chrony_sourcestats_samples",
		"The number of sample points currently being retained for the server. (NP)", sourceLabels, nil)
	descSourcestatsRuns = prometheus.NewDesc("chrony_sourcestats_runs",
		"The number of runs of residuals having the same sign following the last regression. (NR)", sourceLabels, nil)
	descSourcestatsSpan = prometheus.NewDesc("chrony_sourcestats_span_seconds",
		"The interval between the oldest and newest samples in seconds", sourceLabels, nil)
	descSourcestatsStdDev = prometheus.NewDesc("chrony_sourcestats_stddev",
		"The estimated sample standard deviation.", sourceLabels, nil)
	descSourcestatsFrequency = prometheus.NewDesc("chrony_sourcestats_frequency_ppms",
		"The estimated residual frequency for the server, in parts per million.", sourceLabels, nil)
	descSourcestatsSkew = prometheus.NewDesc("chrony_sourcestats_frequency_skew_ppms",
		"The estimated error bounds on Freq (again in parts per million).", sourceLabels, nil)
	descSourcestatsOffset = prometheus.NewDesc("chrony_sourcestats_offset",
		"The estimated offset of the source.", sourceLabels, nil)

	// serverstats.go: chronyd answers serverstats only on its unix socket.
	descServerstatsNTPReceived = prometheus.NewDesc("chrony_serverstats_ntp_packets_received_total",
		"The number of valid NTP requests received by the server.", nil, nil)
	descServerstatsNKEAccepted = prometheus.NewDesc("chrony_serverstats_nts_ke_connections_accepted_total",
		"The number of NTS-KE connections accepted by the server.", nil, nil)
	descServerstatsCmdReceived = prometheus.NewDesc("chrony_serverstats_command_packets_received_total",
		"The number of command requests received by the server.", nil, nil)
	descServerstatsNTPDropped = prometheus.NewDesc("chrony_serverstats_ntp_packets_dropped_total",
		"The number of NTP requests dropped by the server due to rate limiting.", nil, nil)
	descServerstatsNKEDropped = prometheus.NewDesc("chrony_serverstats_nts_ke_connections_dropped_total",
		"The number of NTS-KE connections dropped by the server due to rate limiting.", nil, nil)
	descServerstatsCmdDropped = prometheus.NewDesc("chrony_serverstats_command_packets_dropped_total",
		"The number of command requests dropped by the server due to rate limiting.", nil, nil)
	descServerstatsLogDropped = prometheus.NewDesc("chrony_serverstats_client_log_records_dropped_total",
		"The number of client log records dropped by the server to limit the memory use.", nil, nil)
	descServerstatsAuthenticated = prometheus.NewDesc("chrony_serverstats_authenticated_ntp_packets_total",
		"The number of received NTP requests that were authenticated (with a symmetric key or NTS).", nil, nil)
	descServerstatsInterleaved = prometheus.NewDesc("chrony_serverstats_interleaved_ntp_packets_total",
		"The number of received NTP requests that were detected to be in the interleaved mode.", nil, nil)
	descServerstatsTimestampsHeld = prometheus.NewDesc("chrony_serverstats_ntp_timestamps_held",
		"The number of pairs of receive and transmit timestamps that the server is currently holding in memory for clients using the interleaved mode.", nil, nil)
	descServerstatsTimestampSpan = prometheus.NewDesc("chrony_serverstats_ntp_timestamp_span_seconds",
		"The interval (in seconds) covered by the currently held NTP timestamps.", nil, nil)
	// chrony 4.4's serverstats4; not emitted for an older chronyd.
	descServerstatsDaemonRX = prometheus.NewDesc("chrony_serverstats_ntp_daemon_rx_timestamps_total",
		"The number of NTP responses which included a receive timestamp captured by the daemon.", nil, nil)
	descServerstatsDaemonTX = prometheus.NewDesc("chrony_serverstats_ntp_daemon_tx_timestamps_total",
		"The number of NTP responses which included a transmit timestamp captured by the daemon.", nil, nil)
	descServerstatsKernelRX = prometheus.NewDesc("chrony_serverstats_ntp_kernel_rx_timestamps_total",
		"The number of NTP responses which included a receive timestamp captured by the kernel.", nil, nil)
	descServerstatsKernelTX = prometheus.NewDesc("chrony_serverstats_ntp_kernel_tx_timestamps_total",
		"The number of NTP responses (in the interleaved mode) which included a transmit timestamp captured by the kernel.", nil, nil)
	descServerstatsHardwareRX = prometheus.NewDesc("chrony_serverstats_ntp_hw_rx_timestamps_total",
		"The number of NTP responses which included a receive timestamp captured by the NIC.", nil, nil)
	descServerstatsHardwareTX = prometheus.NewDesc("chrony_serverstats_ntp_hw_tx_timestamps_total",
		"The number of NTP responses (in the interleaved mode) which included a transmit timestamp captured by the NIC.", nil, nil)
)

// chronyStatsDescs are the descriptors of this file, for Describe.
var chronyStatsDescs = []*prometheus.Desc{
	descSourcestatsSamples, descSourcestatsRuns, descSourcestatsSpan, descSourcestatsStdDev,
	descSourcestatsFrequency, descSourcestatsSkew, descSourcestatsOffset,
	descServerstatsNTPReceived, descServerstatsNKEAccepted, descServerstatsCmdReceived,
	descServerstatsNTPDropped, descServerstatsNKEDropped, descServerstatsCmdDropped,
	descServerstatsLogDropped, descServerstatsAuthenticated, descServerstatsInterleaved,
	descServerstatsTimestampsHeld, descServerstatsTimestampSpan,
	descServerstatsDaemonRX, descServerstatsDaemonTX, descServerstatsKernelRX,
	descServerstatsKernelTX, descServerstatsHardwareRX, descServerstatsHardwareTX,
}

// collectSourceStats emits one source's chronyc sourcestats, if the daemon
// gave them, with the labels l of its chrony_sources_* series.
func collectSourceStats(ch chan<- prometheus.Metric, s observe.Source, l [2]string) {
	st := s.Stats
	if st == nil {
		return
	}
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, l[0], l[1])
	}
	gauge(descSourcestatsSamples, float64(st.Samples))
	gauge(descSourcestatsRuns, float64(st.Runs))
	gauge(descSourcestatsSpan, st.Span)
	gauge(descSourcestatsStdDev, st.StdDev)
	gauge(descSourcestatsFrequency, st.Frequency)
	gauge(descSourcestatsSkew, st.Skew)
	// chronyd's sign, as chrony_exporter passes it (the probe flipped it
	// to RFC 5905's, see chrony.convertSource).
	gauge(descSourcestatsOffset, -st.Offset)
}

// collectServerStats emits chronyc serverstats, if the probe read them.
func collectServerStats(ch chan<- prometheus.Metric, st *observe.ServerStats) {
	if st == nil {
		return
	}
	emit := func(desc *prometheus.Desc, t prometheus.ValueType, v uint64) {
		ch <- prometheus.MustNewConstMetric(desc, t, float64(v))
	}
	counter := func(desc *prometheus.Desc, v uint64) { emit(desc, prometheus.CounterValue, v) }
	counter(descServerstatsNTPReceived, st.NTPPacketsReceived)
	counter(descServerstatsNKEAccepted, st.NTSKEConnectionsAccepted)
	counter(descServerstatsCmdReceived, st.CommandPacketsReceived)
	counter(descServerstatsNTPDropped, st.NTPPacketsDropped)
	counter(descServerstatsNKEDropped, st.NTSKEConnectionsDropped)
	counter(descServerstatsCmdDropped, st.CommandPacketsDropped)
	counter(descServerstatsLogDropped, st.ClientLogRecordsDropped)
	counter(descServerstatsAuthenticated, st.AuthenticatedNTPPackets)
	counter(descServerstatsInterleaved, st.InterleavedNTPPackets)
	emit(descServerstatsTimestampsHeld, prometheus.GaugeValue, st.NTPTimestampsHeld)
	emit(descServerstatsTimestampSpan, prometheus.GaugeValue, st.NTPTimestampSpanSeconds)
	if ts := st.Timestamps; ts != nil {
		counter(descServerstatsDaemonRX, ts.DaemonRX)
		counter(descServerstatsDaemonTX, ts.DaemonTX)
		counter(descServerstatsKernelRX, ts.KernelRX)
		counter(descServerstatsKernelTX, ts.KernelTX)
		counter(descServerstatsHardwareRX, ts.HardwareRX)
		counter(descServerstatsHardwareTX, ts.HardwareTX)
	}
}
