// Package observe holds what the probes saw: plain data, no judgement.
//
// A probe fills one of these structs; health.Evaluate judges them. Times are
// seconds as float64 (the daemons report them so), with the unit in the JSON
// key, so the report schema reads without a manual.
//
// Every offset has the sign of RFC 5905's theta: reference time minus local
// clock, so it is positive when the local clock is slow (behind). ntpd and
// beevik/ntp use this sign already; chronyc prints it as "slow" in tracking
// and with the opposite sign in sources, which the chrony probe flips.
package observe

import (
	"fmt"
	"time"
)

// Observation is everything the probes saw in one round.
type Observation struct {
	// Time is when the round started.
	Time time.Time `json:"time"`
	// Daemon is the local NTP daemon (chronyd or ntpd); nil when not probed.
	Daemon *Daemon `json:"daemon,omitempty"`
	// Kernel is the kernel clock (adjtimex); nil when not probed.
	Kernel *Kernel `json:"kernel,omitempty"`
	// PPS is the kernel PPS device; nil when not probed.
	PPS *PPS `json:"pps,omitempty"`
	// GPS is gpsd's view of the receiver; nil when not probed.
	GPS *GPS `json:"gps,omitempty"`
	// Remote is one entry per remote NTP server queried (--ntp), in order.
	Remote []Remote `json:"remote,omitempty"`
	// Readings are what the pluggable sources (internal/source) saw, in
	// the order of their names.
	Readings []Reading `json:"-"`
}

// Reading is what one pluggable source saw: Data is its plain data
// (marshalled to JSON under Name), which also judges and shows itself
// (source.Reading).
type Reading struct {
	Name string
	Data any
}

// Daemon is one NTP daemon's view of time: its tracking state and its sources.
type Daemon struct {
	// Kind is "chrony" or "ntpd".
	Kind string `json:"kind"`
	// Address is where the daemon was asked (host:port or unix:///path).
	Address string `json:"address"`
	// Error is why the daemon could not be read; empty when it answered.
	Error string `json:"error,omitempty"`
	// DurationSeconds is how long the probe took.
	DurationSeconds float64 `json:"duration_seconds"`
	// Tracking is the daemon's system state; zero when Error is set.
	Tracking Tracking `json:"tracking"`
	// Sources are every configured time source, in the daemon's order.
	Sources []Source `json:"sources"`
	// Unresolved are the configured names the daemon has not resolved to
	// an address yet, one entry per name; they are not in Sources.
	Unresolved []Unresolved `json:"unresolved,omitempty"`
	// ServerStats is what chronyd counted as a server (chronyc
	// serverstats); nil when not read.
	ServerStats *ServerStats `json:"server_stats,omitempty"`
}

// Leap is the leap indicator of RFC 5905 section 7.3 (chrony uses the same values).
type Leap int

// Leap indicator values (RFC 5905 figure 9).
const (
	LeapNone      Leap = 0
	LeapInsert    Leap = 1
	LeapDelete    Leap = 2
	LeapNotInSync Leap = 3
)

func (l Leap) String() string {
	switch l {
	case LeapNone:
		return "normal"
	case LeapInsert:
		return "insert second"
	case LeapDelete:
		return "delete second"
	default:
		return "not synchronised"
	}
}

// MarshalText writes the leap indicator as its name.
func (l Leap) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (l *Leap) UnmarshalText(b []byte) error {
	for _, v := range []Leap{LeapNone, LeapInsert, LeapDelete, LeapNotInSync} {
		if v.String() == string(b) {
			*l = v
			return nil
		}
	}
	return fmt.Errorf("unknown leap status %q", b)
}

// Tracking is the daemon's system variables (chronyc tracking; ntpq rv 0).
type Tracking struct {
	// RefID is the reference ID as chronyc prints it: 8 hex digits
	// ("7F7F0101"), or the refclock's name ("PPS").
	RefID string `json:"refid"`
	// RefName is the selected source's address or name ("127.0.0.1", "PPS").
	RefName string `json:"ref_name,omitempty"`
	// Stratum is the daemon's stratum; 16 (or 0 in chrony) when unsynchronised.
	Stratum int `json:"stratum"`
	// Leap is the leap indicator.
	Leap Leap `json:"leap"`
	// SystemOffset is how far the system clock is from true time, seconds,
	// positive when the clock is slow (chronyc "System time").
	SystemOffset float64 `json:"system_offset_seconds"`
	// LastOffset is the offset measured at the last clock update, seconds
	// (same sign as SystemOffset).
	LastOffset float64 `json:"last_offset_seconds"`
	// RMSOffset is the long-term average offset, seconds.
	RMSOffset float64 `json:"rms_offset_seconds"`
	// Frequency is the clock's frequency error, ppm (positive: fast).
	Frequency float64 `json:"frequency_ppm"`
	// ResidualFrequency is the residual frequency of the selected source, ppm.
	ResidualFrequency float64 `json:"residual_frequency_ppm"`
	// Skew is the error bound of Frequency, ppm.
	Skew float64 `json:"skew_ppm"`
	// RootDelay is the total network delay to the stratum-1 source, seconds.
	RootDelay float64 `json:"root_delay_seconds"`
	// RootDispersion is the total dispersion to the stratum-1 source, seconds.
	RootDispersion float64 `json:"root_dispersion_seconds"`
	// UpdateInterval is the interval between the last two clock updates, seconds.
	UpdateInterval float64 `json:"update_interval_seconds"`
	// RefTime is when the last clock update was made (UTC).
	RefTime time.Time `json:"ref_time"`
}

// MaxError is the bound on the clock's error, seconds: |offset| + root delay/2
// + root dispersion (RFC 5905 section 11.2 root distance, plus the offset).
func (t Tracking) MaxError() float64 {
	off := t.SystemOffset
	if off < 0 {
		off = -off
	}
	return off + t.RootDelay/2 + t.RootDispersion
}

// Mode is how a source is used.
type Mode string

// Source modes (chronyc sources column M: ^ = ~ #).
const (
	ModeServer   Mode = "server"
	ModePeer     Mode = "peer"
	ModeRefclock Mode = "refclock"
)

// State is a source's selection state, as chronyc's column S prints it.
type State string

// Source states (chronyc(1) "sources"; ntpq tally codes map onto them).
const (
	StateSelected    State = "*" // the system peer: time comes from it
	StateCombined    State = "+" // selectable, combined with the selected one
	StateNotCombined State = "-" // selectable, excluded by the combining algorithm
	StateUnreachable State = "?" // connectivity lost or samples not valid yet
	StateFalseticker State = "x" // disagrees with the majority
	StateJittery     State = "~" // too variable
)

// Selectable reports whether a source may contribute to the time.
func (s State) Selectable() bool {
	return s == StateSelected || s == StateCombined || s == StateNotCombined
}

// Source is one configured time source (chronyc sources + sourcestats).
type Source struct {
	// Name is the hostname or refclock refid ("PPS"); Address the IP, if any.
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Mode    Mode   `json:"mode"`
	State   State  `json:"state"`
	// Stratum is the source's own stratum (0 for a refclock).
	Stratum int `json:"stratum"`
	// Poll is the polling interval as a power of two, seconds (chronyc "Poll").
	Poll int `json:"poll"`
	// Reach is the 8-bit reachability register, shown in octal by chronyc
	// (0377: the last eight polls all answered).
	Reach uint8 `json:"reach"`
	// SampleAge is the time since the last good sample, seconds (chronyc
	// "LastRx"); nil (JSON null) when there is none yet.
	SampleAge *float64 `json:"sample_age_seconds"`
	// Offset is the last sample's offset, seconds, positive when the local
	// clock is slow (behind the source); OffsetError its error bound, seconds.
	Offset      float64 `json:"offset_seconds"`
	OffsetError float64 `json:"offset_error_seconds"`
	// Stats is chronyc sourcestats for the source, when the daemon gives it.
	Stats *SourceStats `json:"stats,omitempty"`
}

// PollInterval is the source's polling interval in seconds (2^Poll).
func (s Source) PollInterval() float64 {
	if s.Poll >= 0 {
		return float64(uint64(1) << uint(s.Poll))
	}
	return 1 / float64(uint64(1)<<uint(-s.Poll))
}

// Label is how a person names the source: its name, else its address.
func (s Source) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Address
}

// SourceStats is the regression the daemon keeps for a source (chronyc sourcestats).
type SourceStats struct {
	Samples int `json:"samples"`
	Runs    int `json:"runs"`
	// Span is the time between the oldest and newest sample, seconds.
	Span float64 `json:"span_seconds"`
	// Frequency and Skew of the source against the local clock, ppm.
	Frequency float64 `json:"frequency_ppm"`
	Skew      float64 `json:"skew_ppm"`
	// Offset and StdDev of the samples, seconds.
	Offset float64 `json:"offset_seconds"`
	StdDev float64 `json:"std_dev_seconds"`
}

// Selected returns the selected source, if any.
func (d *Daemon) Selected() (Source, bool) {
	for _, s := range d.Sources {
		if s.State == StateSelected {
			return s, true
		}
	}
	return Source{}, false
}

// Seconds returns a pointer to v, for the optional values in seconds such as
// Source.SampleAge.
func Seconds(v float64) *float64 { return &v }
