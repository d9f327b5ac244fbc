package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// MinInterval is the shortest check interval of `ntphealth run`.
const MinInterval = time.Second

// Validate normalises c (Normalize) and checks every value: it names the
// key and line of each problem and says what to do. It reads no file and
// no environment variable (Load has read url_file and token_file into URL
// and Token), so it can run any number of times, after any flag, with the
// same result.
func (c *Config) Validate() error {
	c.Normalize()
	var l errorList
	c.check(&l)
	return l.join(c.secrets())
}

// Normalize writes every enumerated value in its one spelling ("JSON" ->
// "json", kernel.enabled "yes" -> "true", each push target's as notify
// spells it) and copies the kernel:, pps: and gps: limits into Checks, so
// a flag that changed them is seen by health.Evaluate. Pure and idempotent;
// a value that spells nothing is left for Validate to show.
func (c *Config) Normalize() {
	c.syncPolicy()
	switch strings.ToLower(strings.TrimSpace(c.Kernel.Enabled)) {
	case KernelAuto, "":
		c.Kernel.Enabled = KernelAuto
	case KernelTrue, "yes", "on":
		c.Kernel.Enabled = KernelTrue
	case KernelFalse, "no", "off":
		c.Kernel.Enabled = KernelFalse
	}
	if f := strings.ToLower(c.LogFormat); f == "text" || f == "json" {
		c.LogFormat = f
	}
	for i := range c.Push {
		c.Push[i].Normalize()
	}
}

// check adds every problem of c to l; it changes nothing.
func (c *Config) check(l *errorList) {
	c.checkNumbers(l, reflect.ValueOf(c).Elem(), "")
	c.checkProbes(l)
	c.checkSources(l)
	c.checkChecks(l)
	for i := range c.Push {
		c.checkPush(l, i)
	}
	c.checkRun(l)
}

// at is where key's value came from: "file:line", a flag, or the file.
// A key the file left out is placed at its nearest parent that it has
// ("push[0].url" at "push[0]").
func (c *Config) at(key string) string {
	for k := key; k != ""; k = parentKey(k) {
		if o, ok := c.origins[k]; ok {
			return o
		}
	}
	return c.File
}

// parentKey is "push[0]" for "push[0].url", "push" for "push[0]", "" for "push".
func parentKey(key string) string {
	if i := strings.LastIndexAny(key, ".["); i >= 0 {
		return key[:i]
	}
	return ""
}

func (c *Config) bad(l *errorList, key, format string, args ...any) {
	l.add(c.at(key), key, format, args...)
}

// checkNumbers refuses a negative duration or number anywhere: every number
// in the config is a length of time, a limit or a count. It walks by
// reflection so fields added to health.Policy are covered too.
func (c *Config) checkNumbers(l *errorList, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Struct:
		names, index := yamlKeys(v.Type())
		for _, n := range names {
			c.checkNumbers(l, v.FieldByIndex(index[n]), join(path, n))
		}
	case reflect.Slice:
		for i := range v.Len() {
			c.checkNumbers(l, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == durationType && v.Int() < 0 {
			c.bad(l, path, "negative duration %s (a limit or interval is a length of time: drop the minus sign)", time.Duration(v.Int()))
		} else if v.Int() < 0 && v.Type() != reflect.TypeFor[health.Status]() {
			c.bad(l, path, "negative value %d (use 0 or more)", v.Int())
		}
	case reflect.Float32, reflect.Float64:
		if v.Float() < 0 {
			c.bad(l, path, "negative value %g (use 0 or more)", v.Float())
		}
	}
}

// limitPair refuses warn above crit; 0 disables a limit (see health.measure).
// It blames the key the file (or a flag) set, warn if both.
func (c *Config) limitPair(l *errorList, warnKey, critKey string, warn, crit float64, show func(float64) string) {
	if warn <= 0 || crit <= 0 || warn <= crit {
		return
	}
	fix := fmt.Sprintf("the warning limit must not exceed the critical one: lower %s or raise %s", warnKey, critKey)
	if _, set := c.origins[warnKey]; set {
		c.bad(l, warnKey, "%s is above %s (%s%s); %s", show(warn), critKey, show(crit), c.defaultNote(critKey), fix)
		return
	}
	c.bad(l, critKey, "%s is below %s (%s%s); %s", show(crit), warnKey, show(warn), c.defaultNote(warnKey), fix)
}

// defaultNote says ", the default" when key was not set in the file.
func (c *Config) defaultNote(key string) string {
	if _, set := c.origins[key]; set {
		return ""
	}
	return ", the default"
}

func showDuration(f float64) string { return time.Duration(f).String() }
func showNumber(f float64) string   { return fmt.Sprintf("%g", f) }

// deviceName is a PPS device as sysfs names it (pps0); compiled on first
// use, not at every start of a one-shot check.
var deviceName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`) })

func (c *Config) checkProbes(l *errorList) {
	if a := c.Chrony.Address; c.Chrony.Setting() == Named {
		if p := socketAddressProblem(a, "127.0.0.1:323"); p != "" {
			c.bad(l, "chrony.address", "%s", p)
		}
	}
	if a := c.NTPD.Address; c.NTPD.Setting() == Named {
		if p := hostPortProblem(a, "127.0.0.1:123", false); p != "" {
			c.bad(l, "ntpd.address", "%s", p)
		}
	}

	switch c.Kernel.Enabled {
	case KernelAuto, KernelTrue, KernelFalse:
	default:
		c.bad(l, "kernel.enabled", "invalid value %s (use auto, true or false)", quote(c.Kernel.Enabled))
	}
	c.limitPair(l, "kernel.max_error_warn", "kernel.max_error_crit",
		float64(c.Kernel.MaxErrorWarn), float64(c.Kernel.MaxErrorCrit), showDuration)

	if d := c.PPS.Device; c.PPS.Setting() == Named && !deviceName().MatchString(d) {
		hint := "write the device name as sysfs has it, e.g. pps0"
		if s, ok := strings.CutPrefix(d, "/dev/"); ok && deviceName().MatchString(s) {
			hint = fmt.Sprintf("write %s, not %s", s, d)
		}
		c.bad(l, "pps.device", "invalid device %s (%s)", quote(d), hint)
	}
	if !strings.HasPrefix(c.PPS.SysfsRoot, "/") {
		c.bad(l, "pps.sysfs_root", "%s is not an absolute path (use /sys)", quote(c.PPS.SysfsRoot))
	}
	if c.PPS.MaxGap < time.Second {
		c.bad(l, "pps.max_gap", "%s is below 1s: pulses arrive once a second, so use 2s (the default) or more", c.PPS.MaxGap)
	}

	if a := c.GPS.Address; c.GPS.Setting() == Named {
		if p := hostPortProblem(a, "127.0.0.1:2947", false); p != "" {
			c.bad(l, "gps.address", "%s", p)
		}
	}
	if c.GPS.MinMode != 2 && c.GPS.MinMode != 3 {
		c.bad(l, "gps.min_mode", "invalid fix mode %d (use 2 for a 2D fix or 3 for a 3D fix; gpsd_json(5) TPV mode)", c.GPS.MinMode)
	}
	if c.GPS.MaxAge <= 0 {
		c.bad(l, "gps.max_age", "must be above 0 (use 5s, the default)")
	}

	for i, s := range c.NTP {
		if p := serverProblem(s); p != "" {
			c.bad(l, fmt.Sprintf("ntp[%d]", i), "%s", p)
		}
	}
	if c.Timeout <= 0 {
		c.bad(l, "timeout", "must be above 0 (use 2s, the default)")
	}
}

func (c *Config) checkChecks(l *errorList) {
	p := c.Checks
	c.limitPair(l, "checks.offset_warn", "checks.offset_crit", float64(p.OffsetWarn), float64(p.OffsetCrit), showDuration)
	c.limitPair(l, "checks.max_error_warn", "checks.max_error_crit", float64(p.MaxErrorWarn), float64(p.MaxErrorCrit), showDuration)
	c.limitPair(l, "checks.skew_warn_ppm", "checks.skew_crit_ppm", p.SkewWarn, p.SkewCrit, showNumber)
	r := p.Remote
	c.limitPair(l, "checks.remote.offset_warn", "checks.remote.offset_crit", float64(r.OffsetWarn), float64(r.OffsetCrit), showDuration)
	c.limitPair(l, "checks.remote.max_error_warn", "checks.remote.max_error_crit", float64(r.MaxErrorWarn), float64(r.MaxErrorCrit), showDuration)
	for _, s := range []struct {
		key string
		v   int
	}{{"checks.stratum_warn", p.StratumWarn}, {"checks.remote.stratum_warn", r.StratumWarn}} {
		if s.v > 16 {
			c.bad(l, s.key, "%d is above 16, the unsynchronised stratum (RFC 5905 section 7.3); use 1 to 15, or 0 to turn the check off", s.v)
		}
	}
}

func (c *Config) checkRun(l *errorList) {
	if c.Listen != "" {
		if p := hostPortProblem(c.Listen, "127.0.0.1:9567", true); p != "" {
			c.bad(l, "listen", "%s (or \"\" for no HTTP server)", p)
		}
	}
	if c.Interval < MinInterval {
		c.bad(l, "interval", "%s is below the minimum of %s (use 30s, the default, or more)", c.Interval, MinInterval)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		c.bad(l, "log_format", "unknown log format %s (use text or json)", quote(c.LogFormat))
	}
	for i, s := range c.Unhealthy {
		if s == health.OK {
			c.bad(l, fmt.Sprintf("unhealthy[%d]", i), "OK cannot be unhealthy: /health would answer 503 while all is well (use WARNING, CRITICAL or UNKNOWN)")
		}
	}
}
