package pps

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Assert is one reading of a PPS device's assert file.
type Assert struct {
	// Time is the system time of the last assert edge; the zero time when
	// the device never saw one ("0.000000000#0").
	Time time.Time
	// Sequence counts assert edges since the device appeared.
	Sequence uint32
}

// ParseAssert reads the text of /sys/class/pps/ppsN/assert, which the kernel
// writes as "%lld.%09d#%d\n": seconds, nanoseconds and the sequence number
// (drivers/pps/sysfs.c, assert_show). The sequence is a u32 printed with %d,
// so it may appear negative after 2^31 pulses.
func ParseAssert(text string) (Assert, error) {
	s := strings.TrimSuffix(text, "\n")
	if s == "" {
		return Assert{}, errors.New("empty assert file (the device does not capture assert edges: check its mode, or use a device that does)")
	}
	stamp, seq, ok := strings.Cut(s, "#")
	if !ok {
		return Assert{}, fmt.Errorf("assert %q: no '#' before the sequence number (want secs.nsec#seq)", clip(s))
	}
	secText, nsecText, ok := strings.Cut(stamp, ".")
	if !ok || len(nsecText) != 9 {
		return Assert{}, fmt.Errorf("assert %q: timestamp is not secs.nnnnnnnnn", clip(s))
	}
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil || secText[0] == '+' {
		return Assert{}, fmt.Errorf("assert %q: bad seconds %q", clip(s), clip(secText))
	}
	nsec, err := strconv.ParseUint(nsecText, 10, 32)
	if err != nil {
		return Assert{}, fmt.Errorf("assert %q: bad nanoseconds %q", clip(s), nsecText)
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil || n < math.MinInt32 || n > math.MaxUint32 || seq[0] == '+' {
		return Assert{}, fmt.Errorf("assert %q: bad sequence number %q", clip(s), clip(seq))
	}
	a := Assert{Sequence: uint32(n)}
	if sec != 0 || nsec != 0 {
		a.Time = time.Unix(sec, int64(nsec)).UTC()
	}
	return a, nil
}

// clip shortens text quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
