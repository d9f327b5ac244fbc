package health

import "time"

// Policy holds every threshold Evaluate judges against. The defaults are
// explained in the README ("What is checked").
type Policy struct {
	// OffsetWarn and OffsetCrit limit |system offset|.
	OffsetWarn time.Duration `yaml:"offset_warn"`
	OffsetCrit time.Duration `yaml:"offset_crit"`
	// MaxErrorWarn and MaxErrorCrit limit |offset| + root delay/2 + root dispersion.
	MaxErrorWarn time.Duration `yaml:"max_error_warn"`
	MaxErrorCrit time.Duration `yaml:"max_error_crit"`
	// SkewWarn and SkewCrit limit the frequency error bound, ppm.
	SkewWarn float64 `yaml:"skew_warn_ppm"`
	SkewCrit float64 `yaml:"skew_crit_ppm"`
	// StratumWarn: a stratum above it is a WARNING.
	StratumWarn int `yaml:"stratum_warn"`
	// MinSources is how many selectable sources must exist, else WARNING.
	MinSources int `yaml:"min_sources"`
	// StalePolls: the selected source's last sample older than this many poll
	// intervals is a WARNING, older than twice as many CRITICAL.
	StalePolls float64 `yaml:"stale_polls"`
	// Prefer names the source that must be selected (refid or name, "PPS").
	// Empty: any refclock, if one is configured.
	Prefer string `yaml:"prefer"`
	// FreeRunning is the verdict when the daemon serves its own clock.
	FreeRunning Status `yaml:"free_running"`
	// LeapPending is the verdict when a leap second is announced.
	LeapPending Status `yaml:"leap_pending"`
	// Holdover holds what the holdover forecast needs beyond OffsetCrit.
	Holdover HoldoverPolicy `yaml:"holdover"`
	// Remote holds the limits for remote NTP servers (--ntp, /probe).
	Remote RemotePolicy `yaml:"remote"`

	// Kernel, PPS and GPS are set from the config sections of their probes
	// (kernel:, pps:, gps:), not from checks:.
	Kernel KernelPolicy `yaml:"-"`
	PPS    PPSPolicy    `yaml:"-"`
	GPS    GPSPolicy    `yaml:"-"`
}

// DefaultPolicy returns the documented defaults.
func DefaultPolicy() Policy {
	return Policy{
		OffsetWarn:   time.Millisecond,
		OffsetCrit:   10 * time.Millisecond,
		MaxErrorWarn: 100 * time.Millisecond,
		MaxErrorCrit: time.Second,
		SkewWarn:     10,
		SkewCrit:     100,
		StratumWarn:  6,
		MinSources:   1,
		StalePolls:   4,
		FreeRunning:  Critical,
		LeapPending:  OK,
		Holdover:     DefaultHoldoverPolicy(),
		Remote:       DefaultRemotePolicy(),
		Kernel:       DefaultKernelPolicy(),
		PPS:          DefaultPPSPolicy(),
		GPS:          DefaultGPSPolicy(),
	}
}
