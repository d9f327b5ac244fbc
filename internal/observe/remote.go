package observe

import (
	"math"
	"time"
)

// Remote is what an NTP client query to one server saw (RFC 5905 section 7.3
// packet fields, plus what the client measured). One Remote per target.
type Remote struct {
	// Target is the host[:port] that was asked, as given.
	Target string `json:"target"`
	// Address is the IP:port the target resolved to; empty if it did not.
	Address string `json:"address,omitempty"`
	// Error is why no usable answer arrived (resolution, timeout, refused,
	// garbled replies); empty when the server answered.
	Error string `json:"error,omitempty"`
	// Time is when the probe started.
	Time time.Time `json:"time"`
	// DurationSeconds is how long the whole probe took.
	DurationSeconds float64 `json:"duration_seconds"`
	// SamplesSent is how many queries were sent; SamplesAnswered how many got
	// a well-formed reply (kiss-o'-death replies included); SamplesUsable
	// how many of those were not a kiss-o'-death.
	SamplesSent     int `json:"samples_sent"`
	SamplesAnswered int `json:"samples_answered"`
	SamplesUsable   int `json:"samples_usable"`

	// The fields below come from the best (lowest round-trip) usable reply.
	// They are zero when there was none (SamplesUsable 0).

	// Offset is how far the local clock is from the server's, seconds,
	// positive when the local clock is behind (RFC 5905 theta).
	Offset float64 `json:"offset_seconds"`
	// RTT is the round-trip delay of the query, seconds (RFC 5905 delta).
	RTT float64 `json:"rtt_seconds"`
	// Stratum is the server's stratum: 1 for a reference clock; 16, or 0
	// (chronyd), when it is not synchronised.
	Stratum int `json:"stratum"`
	// Leap is the server's leap indicator (3: not synchronised).
	Leap Leap `json:"leap"`
	// RefID is the reference ID: the ASCII code for stratum 0 and 1 ("GPS",
	// "PPS"), else 8 hex digits as chronyc prints it ("7F7F0101").
	RefID string `json:"refid"`
	// RefName is the reference ID read as an IPv4 address for stratum 2 and
	// above ("192.0.2.1"; for an IPv6 source it is a hash, RFC 5905 7.3).
	RefName string `json:"ref_name,omitempty"`
	// RootDelay and RootDispersion are the server's totals to its stratum-1
	// source, seconds.
	RootDelay      float64 `json:"root_delay_seconds"`
	RootDispersion float64 `json:"root_dispersion_seconds"`
	// RootDistance is (RTT + root delay)/2 + root dispersion, seconds: the
	// error bound of the server's time as seen here (RFC 5905 appendix A.5.5.2).
	RootDistance float64 `json:"root_distance_seconds"`
	// Poll is the server's poll exponent (log2 seconds); Precision its clock
	// precision, seconds.
	Poll      int     `json:"poll"`
	Precision float64 `json:"precision_seconds"`
	// ReferenceTime is when the server's clock was last set.
	ReferenceTime time.Time `json:"reference_time"`

	// KissCode is the kiss-o'-death code of a stratum-0 reply ("RATE",
	// "DENY", "RSTR"; RFC 5905 section 7.4); sampling stops at the first one.
	KissCode string `json:"kiss_code,omitempty"`
	// ValidateError is why the best reply is unfit for synchronisation
	// (beevik/ntp Response.Validate: stale reference, dispersion too large,
	// leap unsynchronised, ...); empty when it is fit.
	ValidateError string `json:"validate_error,omitempty"`
}

// Answered reports whether a usable (not kiss-o'-death) reply arrived.
func (r *Remote) Answered() bool { return r.Error == "" && r.SamplesUsable > 0 }

// MaxError is the bound on the local clock's error against the server's
// reference, seconds: |offset| + root distance.
func (r *Remote) MaxError() float64 { return math.Abs(r.Offset) + r.RootDistance }
