package observe

// ServerStats is what chronyd counted while serving NTP and commands since
// it started (chronyc serverstats, chronyc(1)). chronyd answers the request
// only on its unix socket.
type ServerStats struct {
	NTPPacketsReceived       uint64 `json:"ntp_packets_received"`
	NTPPacketsDropped        uint64 `json:"ntp_packets_dropped"`
	CommandPacketsReceived   uint64 `json:"command_packets_received"`
	CommandPacketsDropped    uint64 `json:"command_packets_dropped"`
	ClientLogRecordsDropped  uint64 `json:"client_log_records_dropped"`
	NTSKEConnectionsAccepted uint64 `json:"nts_ke_connections_accepted"`
	NTSKEConnectionsDropped  uint64 `json:"nts_ke_connections_dropped"`
	AuthenticatedNTPPackets  uint64 `json:"authenticated_ntp_packets"`
	InterleavedNTPPackets    uint64 `json:"interleaved_ntp_packets"`
	NTPTimestampsHeld        uint64 `json:"ntp_timestamps_held"`
	NTPTimestampSpanSeconds  uint64 `json:"ntp_timestamp_span_seconds"`
	// Timestamps counts where the timestamps of NTP responses were taken;
	// nil before chrony 4.4, whose reply (serverstats4) added them.
	Timestamps *ServerTimestamps `json:"timestamps,omitempty"`
}

// ServerTimestamps counts NTP responses by where their receive (RX) and
// transmit (TX) timestamps were captured: chronyd, the kernel, the NIC.
type ServerTimestamps struct {
	DaemonRX   uint64 `json:"daemon_rx"`
	DaemonTX   uint64 `json:"daemon_tx"`
	KernelRX   uint64 `json:"kernel_rx"`
	KernelTX   uint64 `json:"kernel_tx"`
	HardwareRX uint64 `json:"hardware_rx"`
	HardwareTX uint64 `json:"hardware_tx"`
}
