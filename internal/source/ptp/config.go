package ptp

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/source"
)

// DefaultSocket is ptp4l's default uds_address (linuxptp config.c; the
// same as protocol.PTP4lSock).
const DefaultSocket = "/var/run/ptp4l"

// The roles this host may be configured for.
const (
	RoleSlave  = "slave"  // follows a grandmaster: port SLAVE
	RoleMaster = "master" // is the grandmaster: port MASTER
	RoleAny    = "any"    // either, as the BMCA decides (a boundary clock)
)

// Default limits. They fit a slave with hardware timestamping (a NIC with a
// PHC, ptp4l -H): linuxptp reports "master offset" within tens to a few
// hundred ns there, even through switches without PTP support.
const (
	// DefaultOffsetWarn is 1 µs, clockAccuracy 0x23 "within 1 µs" (IEEE
	// 1588-2008 Table 6): several times a healthy slave's offset, and the
	// accuracy PTP is deployed for rather than NTP.
	DefaultOffsetWarn = time.Microsecond
	// DefaultOffsetCrit is 10 µs: beyond it PTP gives no more than chrony
	// on a LAN does, and it is half ptp4l's own first_step_threshold
	// (20 µs, linuxptp default.cfg), where it would step a starting clock.
	DefaultOffsetCrit = 10 * time.Microsecond
	// DefaultPathDelayJump is 1 µs. ptp4l smooths meanPathDelay with a
	// moving median (delay_filter_length 10, default.cfg), so with hardware
	// timestamps it moves by tens of ns; a 1 µs step is a changed path (a
	// new hop, another link speed), and IEEE 1588-2008 assumes a symmetric
	// path (11.2): an asymmetric change of D shifts the offset by up to D/2,
	// the order of DefaultOffsetWarn.
	DefaultPathDelayJump = time.Microsecond
)

// maxSocketPath is the longest path a unix socket can have: sun_path holds
// 108 bytes with the terminating NUL (unix(7)).
const maxSocketPath = 107

// Config is the "ptp:" section of the config file.
type Config struct {
	// Socket is ptp4l's uds_address. "" reads DefaultSocket when it exists
	// (auto-detection); "off" turns the source off.
	Socket string `yaml:"socket"`
	// Role is what this host should be: "slave" (default), "master" (a
	// grandmaster) or "any" (whatever the BMCA decides).
	Role string `yaml:"role"`
	// Domain is ptp4l's domainNumber: ptp4l ignores management messages
	// of another domain, so a wrong one looks like a silent socket.
	Domain int `yaml:"domain"`
	// OffsetWarn and OffsetCrit limit |offsetFromMaster|; 0 turns a limit off.
	OffsetWarn time.Duration `yaml:"offset_warn"`
	OffsetCrit time.Duration `yaml:"offset_crit"`
	// PathDelayJump is the largest change of the mean path delay between
	// two rounds that is still OK; 0 turns the check off.
	PathDelayJump time.Duration `yaml:"path_delay_jump"`
}

// NewConfig returns the section's defaults.
func NewConfig() *Config {
	return &Config{
		Role:          RoleSlave,
		OffsetWarn:    DefaultOffsetWarn,
		OffsetCrit:    DefaultOffsetCrit,
		PathDelayJump: DefaultPathDelayJump,
	}
}

// Address is the field --ptp sets.
func (c *Config) Address() *string { return &c.Socket }

// role returns Role in lower case, "slave" when empty. It leaves c as it
// is, so that Validate changes nothing.
func (c *Config) role() string {
	r := strings.ToLower(strings.TrimSpace(c.Role))
	if r == "" {
		return RoleSlave
	}
	return r
}

// Validate says what is wrong with the section. It reads no file.
func (c *Config) Validate() []source.Problem {
	var out []source.Problem
	add := func(key, format string, a ...any) {
		out = append(out, source.Problem{Key: key, Message: fmt.Sprintf(format, a...)})
	}
	if source.Named(c.Socket) && len(strings.TrimSpace(c.Socket)) > maxSocketPath {
		add("socket", "%d bytes is longer than a unix socket path can be (%d, unix(7)): use ptp4l's uds_address, e.g. %s", len(c.Socket), maxSocketPath, DefaultSocket)
	}
	switch c.role() {
	case RoleSlave, RoleMaster, RoleAny:
	default:
		add("role", "%q is not a role: use %q (this host follows a grandmaster), %q (this host is the grandmaster) or %q", c.Role, RoleSlave, RoleMaster, RoleAny)
	}
	// domainNumber 0-127 (IEEE 1588-2008 Table 2; linuxptp config.c allows
	// the same range).
	if c.Domain < 0 || c.Domain > 127 {
		add("domain", "%d is not a PTP domain: use ptp4l's domainNumber, 0 to 127", c.Domain)
	}
	for key, d := range map[string]time.Duration{"offset_warn": c.OffsetWarn, "offset_crit": c.OffsetCrit, "path_delay_jump": c.PathDelayJump} {
		if d < 0 {
			add(key, "negative duration %s: drop the minus sign", d)
		}
	}
	if c.OffsetWarn > 0 && c.OffsetCrit > 0 && c.OffsetWarn > c.OffsetCrit {
		add("offset_warn", "%s is above offset_crit %s: the warning limit must not be above the critical one", c.OffsetWarn, c.OffsetCrit)
	}
	// The map above has no order: sort, so the messages come the same way
	// every time.
	slices.SortStableFunc(out, func(a, b source.Problem) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Probe returns the probe of this round: at Socket when named; at
// DefaultSocket when Socket is empty, auto is set and the file exists;
// otherwise none.
func (c *Config) Probe(auto bool, timeout time.Duration) source.Probe {
	path := strings.TrimSpace(c.Socket)
	switch {
	case source.IsOff(path):
		return nil
	case path == "":
		if !auto {
			return nil
		}
		if _, err := os.Stat(DefaultSocket); err != nil {
			return nil
		}
		path = DefaultSocket
	}
	return &Probe{Socket: path, Timeout: timeout, Domain: uint8(c.Domain), Limits: c.limits()}
}

// limits is what Checks needs from the config.
func (c *Config) limits() Limits {
	return Limits{
		Role:          c.role(),
		OffsetWarn:    c.OffsetWarn.Seconds(),
		OffsetCrit:    c.OffsetCrit.Seconds(),
		PathDelayJump: c.PathDelayJump.Seconds(),
	}
}

// Limits are the judgement's settings, carried by every Reading so that
// Checks needs nothing else. Durations in seconds, 0 = off.
type Limits struct {
	Role          string
	OffsetWarn    float64
	OffsetCrit    float64
	PathDelayJump float64
}
