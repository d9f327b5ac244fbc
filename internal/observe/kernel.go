package observe

// Kernel is the kernel clock's state as adjtimex(2) reports it. It holds
// whatever daemon disciplines the clock (chronyd, ntpd, systemd-timesyncd),
// or none.
type Kernel struct {
	// Error is why adjtimex(2) could not be read; empty when it was.
	Error string `json:"error,omitempty"`
	// State is adjtimex's return value: 0 TIME_OK, 1 TIME_INS, 2 TIME_DEL,
	// 3 TIME_OOP, 4 TIME_WAIT, 5 TIME_ERROR; StateName its name.
	State     int    `json:"state"`
	StateName string `json:"state_name"`
	// Unsync is STA_UNSYNC: the kernel believes its clock is not
	// synchronised. A daemon that does not maintain the kernel's status
	// (chronyd -x, chronyd without rtcsync) leaves it set.
	Unsync bool `json:"unsync"`
	// Status is the raw timex.status word; Flags names its set bits
	// ("PLL", "UNSYNC", "PPSSIGNAL", "NANO", ...).
	Status uint32   `json:"status"`
	Flags  []string `json:"flags"`
	// PPSSignal, PPSJitter, PPSWander and PPSError are the kernel PPS
	// discipline bits (STA_PPSSIGNAL: a valid PPS signal is present; the
	// others: it is too jittery, wandering, or failing calibration).
	PPSSignal bool `json:"pps_signal"`
	PPSJitter bool `json:"pps_jitter"`
	PPSWander bool `json:"pps_wander"`
	PPSError  bool `json:"pps_error"`
	// MaxError is the kernel's maximum error bound, seconds; the kernel
	// grows it by 500 µs each second until a daemon resets it, and sets
	// STA_UNSYNC when it reaches 16 s.
	MaxError float64 `json:"max_error_seconds"`
	// EstError is the kernel's estimated error, seconds.
	EstError float64 `json:"est_error_seconds"`
	// Offset is the remaining phase adjustment, seconds.
	Offset float64 `json:"offset_seconds"`
	// Frequency is the kernel's frequency correction, ppm.
	Frequency float64 `json:"frequency_ppm"`
	// TimeConstant is the PLL time constant (timex.constant).
	TimeConstant int64 `json:"time_constant"`
	// TAI is the TAI-UTC offset the kernel holds, seconds (0 if never set).
	TAI int `json:"tai_offset_seconds"`
}
