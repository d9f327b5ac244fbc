package observe

import "time"

// PPS is what one kernel PPS device (/sys/class/pps/ppsN) showed: its last
// assert edge and whether pulses still arrive.
type PPS struct {
	// Device is the device name ("pps0"); Path the sysfs file read.
	Device string `json:"device"`
	Path   string `json:"path"`
	// Error is why the device could not be read; empty when it was.
	Error string `json:"error,omitempty"`
	// Missing is true when the device does not exist (Error says where it
	// was looked for).
	Missing bool `json:"missing,omitempty"`
	// AssertTime is the system time of the last assert edge (UTC); zero
	// when the device never saw a pulse.
	AssertTime time.Time `json:"assert_time"`
	// Sequence is the assert edge counter; 0 when no pulse was ever seen.
	Sequence uint32 `json:"sequence"`
	// GapSeconds is how long ago the last pulse came (observation time
	// minus AssertTime), seconds.
	GapSeconds float64 `json:"gap_seconds"`
	// Advanced is true when Sequence changed between the probe's previous
	// read and this one.
	Advanced bool `json:"advanced"`
	// UnchangedSeconds is how long the probe has watched Sequence stay the
	// same, seconds: 0 when it just advanced or when there was no earlier
	// read to compare with.
	UnchangedSeconds float64 `json:"unchanged_seconds"`
}
