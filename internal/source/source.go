// Package source is the seam through which an optional source of truth
// plugs in: one package per source (internal/source/ptp, ...) describes
// itself once with Register, and the config file, the flags, the probe
// round, health.Evaluate and every output (text, JSON, Nagios, /metrics,
// the status page, pushes) reach it through the registry alone.
//
// Adding a source is one new package that calls Register from init, and
// one blank import in cmd/ntphealth/sources.go; see the README's "Adding a
// source".
package source

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Off is the address that turns a source off, the same for every source
// (config.Off says the same for the built-in ones).
const Off = "off"

// Source describes one pluggable source of truth.
type Source struct {
	// Name is the config key, the flag (--Name), the JSON key and the
	// probe label, e.g. "ptp". Lower case, no spaces.
	Name string
	// FlagUsage is the help of --Name, which sets the config's address;
	// write the argument name in backquotes, as package flag wants.
	FlagUsage string
	// NewConfig returns the section's defaults: a pointer to a struct with
	// yaml tags that the config decoder overlays with the file's section.
	NewConfig func() Config
}

// Config is one source's config section.
type Config interface {
	// Address is the field --Name sets: where the source is read; "off"
	// (any case) turns it off, "" leaves it to auto-detection.
	Address() *string
	// Validate says what is wrong, each problem under its key within the
	// section ("socket", "offset_warn"). It reads no file and changes
	// nothing, so it can run any number of times.
	Validate() []Problem
	// Probe returns what reads the source this round, or nil when it is not
	// read: off, or left empty while auto is false (another local source is
	// named) or auto-detection finds nothing. timeout bounds one reading.
	Probe(auto bool, timeout time.Duration) Probe
}

// Problem is one thing wrong in a config section.
type Problem struct {
	// Key is the key within the section ("socket"); the config names it
	// as "<source>.<key>" with the file and line.
	Key string
	// Message says what is wrong and what to write instead.
	Message string
}

// Probe reads a source once. It never fails: a source that cannot be read
// gives a Reading whose checks say so.
type Probe interface {
	Observe(ctx context.Context) Reading
}

// Reading is what a source saw in one round, as plain data (marshalled to
// JSON under the source's name), plus how to judge it and show it.
type Reading interface {
	// ProbeError says why the source could not be read; "" when it
	// answered (ntphealth_probe_up{probe="<name>"} is 0 or 1 by it).
	ProbeError() string
	// Checks judges the reading against the limits of the config that made
	// the probe. Pure: no I/O, no clock reads.
	Checks() []health.Check
	// Collect sends the reading's metrics, each a gauge, through emit
	// (unchecked: /metrics takes series it was not told of beforehand).
	Collect(emit Emit)
	// Text writes what a person wants beyond the checks (a table, one line
	// of state), or nothing.
	Text(w io.Writer)
}

// Metric names one gauge a Reading sends to /metrics. The server turns it
// into a Prometheus metric; this package, and so the one-shot check, does
// not link the Prometheus client.
type Metric struct {
	// Name is the metric's name, ntphealth_<source>_..., in base units
	// (_seconds).
	Name string
	// Help is the line # HELP shows.
	Help string
	// Labels are the label names, in the order Emit is given their values.
	Labels []string
}

// Emit sends one value of a gauge with its label values, in m.Labels' order.
type Emit func(m *Metric, value float64, labelValues ...string)

var (
	mu       sync.RWMutex
	registry = map[string]Source{}
)

// Register adds a source; a package calls it from init. It panics on an
// empty or duplicate name, a mistake that no user could mend.
func Register(s Source) {
	mu.Lock()
	defer mu.Unlock()
	if s.Name == "" || s.Name != strings.ToLower(s.Name) || strings.ContainsAny(s.Name, " .") || s.NewConfig == nil {
		panic(fmt.Sprintf("source: bad registration %q", s.Name))
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("source: %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// All returns every registered source, by name.
func All() []Source {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Source, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the source registered under name.
func Lookup(name string) (Source, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := registry[name]
	return s, ok
}

// IsOff reports whether an address turns its source off.
func IsOff(address string) bool { return strings.EqualFold(strings.TrimSpace(address), Off) }

// Named reports whether an address names where to read its source (neither
// empty nor off).
func Named(address string) bool { return strings.TrimSpace(address) != "" && !IsOff(address) }
