package ptp

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Reading is what ptp4l said in one round, as plain data. Times are in
// seconds; identities are written as pmc writes them (001122.fffe.334455).
type Reading struct {
	// Socket is the uds_address that was read.
	Socket string `json:"socket"`
	// Error says why ptp4l could not be read, and what to do; the other
	// fields are then left out of the JSON.
	Error string `json:"error,omitempty"`

	// Interface and PortState are the (first) port's (PORT_PROPERTIES_NP,
	// PORT_DATA_SET): "eth0", "SLAVE".
	Interface string `json:"interface"`
	PortState string `json:"port_state"`
	// Timestamping is "software" (ptp4l -S) or "hardware" (-H) and kin.
	Timestamping string `json:"timestamping"`
	// DelayMechanism is "E2E" or "P2P".
	DelayMechanism string `json:"delay_mechanism"`
	// AnnounceTimeoutSeconds is how long the port waits for an Announce
	// before it gives its master up (announceReceiptTimeout intervals).
	AnnounceTimeoutSeconds float64 `json:"announce_timeout_seconds"`

	// ClockIdentity, ClockClass, SlaveOnly and Domain are this clock's own
	// (DEFAULT_DATA_SET).
	ClockIdentity string `json:"clock_identity"`
	ClockClass    int    `json:"clock_class"`
	SlaveOnly     bool   `json:"slave_only"`
	Domain        int    `json:"domain"`

	// GMPresent is ptp4l's gmPresent (TIME_STATUS_NP): false when this
	// clock is its own grandmaster.
	GMPresent bool `json:"gm_present"`
	// The grandmaster's identity, class, accuracy (null when unknown) and
	// priorities (PARENT_DATA_SET).
	GMIdentity             string   `json:"gm_identity"`
	GMClockClass           int      `json:"gm_clock_class"`
	GMClockAccuracySeconds *float64 `json:"gm_clock_accuracy_seconds"`
	GMPriority1            int      `json:"gm_priority1"`
	GMPriority2            int      `json:"gm_priority2"`

	// StepsRemoved counts the clocks between this one and the grandmaster
	// (CURRENT_DATA_SET).
	StepsRemoved int `json:"steps_removed"`
	// OffsetFromMasterSeconds has IEEE 1588-2008's sign (11.2: slave time
	// minus master time): positive when this clock is ahead.
	OffsetFromMasterSeconds float64 `json:"offset_from_master_seconds"`
	// MeanPathDelaySeconds is the one-way delay to the master: the
	// currentDS's meanPathDelay, or the port's peerMeanPathDelay with P2P.
	MeanPathDelaySeconds float64 `json:"mean_path_delay_seconds"`
	// PreviousMeanPathDelaySeconds is the previous round's, from the same
	// grandmaster; absent in a first round.
	PreviousMeanPathDelaySeconds *float64 `json:"previous_mean_path_delay_seconds,omitempty"`

	// Limits are the config's limits that Checks judges against.
	Limits Limits `json:"-"`
}

// MarshalJSON writes only the socket and the error when ptp4l could not be
// read: zeros would pass for data.
func (r *Reading) MarshalJSON() ([]byte, error) {
	if r.Error != "" {
		return json.Marshal(struct {
			Socket string `json:"socket"`
			Error  string `json:"error"`
		}{r.Socket, r.Error})
	}
	type plain Reading // no MarshalJSON: no recursion
	return json.Marshal((*plain)(r))
}

// ProbeError is the error for ntphealth_probe_up ("" when read).
func (r *Reading) ProbeError() string { return r.Error }

// following reports whether the port follows a master, so that offset and
// path delay are measured now.
func (r *Reading) following() bool {
	return r.PortState == "SLAVE" || r.PortState == "UNCALIBRATED"
}

// selfGM reports whether this clock is its own grandmaster.
func (r *Reading) selfGM() bool { return r.GMIdentity == r.ClockIdentity }

// Text writes one line (nothing when ptp4l could not be read): "ptp4l at /var/run/ptp4l: port eth0 SLAVE, gm
// 001122.fffe.334455 class 6, offset +12.0 ns, path delay 2.5 µs, steps
// removed 1".
func (r *Reading) Text(w io.Writer) {
	if r.Error != "" {
		return // the ptp_port_state check says it
	}
	fmt.Fprintf(w, "ptp4l at %s: port %s %s, ", r.Socket, r.Interface, r.PortState)
	if r.selfGM() {
		fmt.Fprintf(w, "this host is the grandmaster (%s) class %d", r.GMIdentity, r.GMClockClass)
	} else {
		fmt.Fprintf(w, "gm %s class %d", r.GMIdentity, r.GMClockClass)
	}
	if r.following() {
		fmt.Fprintf(w, ", offset %s, path delay %s, steps removed %d",
			health.FormatSeconds(r.OffsetFromMasterSeconds, true),
			health.FormatSeconds(r.MeanPathDelaySeconds, false), r.StepsRemoved)
	}
	if r.Timestamping != "hardware" {
		fmt.Fprintf(w, " (%s timestamping)", r.Timestamping)
	}
	fmt.Fprintln(w)
}
