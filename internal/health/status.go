// Package health judges observations: Evaluate turns what the probes saw into
// a Report of named checks. It does no I/O and reads no clock.
package health

import (
	"fmt"
	"strings"
)

// Status is a verdict in the Nagios sense; its value is the plugin exit code
// (Nagios plugin guidelines: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
type Status int

// The four verdicts, ordered by exit code.
const (
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Unknown  Status = 3
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// ParseStatus reads "OK", "WARNING", "CRITICAL" or "UNKNOWN" (any case).
func ParseStatus(s string) (Status, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "OK":
		return OK, nil
	case "WARNING", "WARN":
		return Warning, nil
	case "CRITICAL", "CRIT":
		return Critical, nil
	case "UNKNOWN":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("unknown status %q: use OK, WARNING, CRITICAL or UNKNOWN", s)
}

// MarshalText writes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status name.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	*s = v
	return err
}

// Severity orders statuses for "worst of": OK < WARNING < UNKNOWN < CRITICAL.
// (UNKNOWN outranks WARNING because nothing is known to be fine.)
func (s Status) Severity() int {
	switch s {
	case OK:
		return 0
	case Warning:
		return 1
	case Unknown:
		return 2
	default:
		return 3
	}
}

// Worse returns the more severe of a and b.
func Worse(a, b Status) Status {
	if b.Severity() > a.Severity() {
		return b
	}
	return a
}
