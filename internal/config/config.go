// Package config reads ntphealth's YAML file: Default, Load, Parse and
// Validate. Every error names the file, the line and the key, and says what
// to do; a push token never appears in an error or a warning.
package config

import (
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
	"github.com/ntphealth/ntphealth/internal/source"
)

// DefaultPath is where ntphealth looks for its config file; an absent file
// means all defaults.
const DefaultPath = "/etc/ntphealth/ntphealth.yaml"

// Config is the whole config file. The zero value is not useful: start from
// Default, or from Load / Parse, which overlay the file on Default.
type Config struct {
	// Chrony is the local chronyd's command socket.
	Chrony ChronyConfig `yaml:"chrony"`
	// NTPD is the local ntpd / ntpsec (NTP mode 6).
	NTPD NTPDConfig `yaml:"ntpd"`
	// Kernel is the kernel clock, read with adjtimex(2).
	Kernel KernelConfig `yaml:"kernel"`
	// PPS is a kernel PPS device in sysfs.
	PPS PPSConfig `yaml:"pps"`
	// GPS is gpsd.
	GPS GPSConfig `yaml:"gps"`
	// NTP lists remote NTP servers to query, each host[:port] (port 123).
	NTP []string `yaml:"ntp"`
	// Timeout is the deadline for each probe (default 2 s).
	Timeout time.Duration `yaml:"timeout"`
	// Checks holds the thresholds health.Evaluate judges against; Validate
	// fills its Kernel, PPS and GPS parts from the sections above.
	Checks health.Policy `yaml:"checks"`
	// Push lists the heartbeat targets; empty pushes nothing.
	Push []Push `yaml:"push"`
	// Listen is the HTTP address of `ntphealth run`; "" disables the server.
	Listen string `yaml:"listen"`
	// WebConfigFile is an exporter-toolkit web config (TLS, basic auth) for
	// the HTTP server of `ntphealth run`; relative to the config file's
	// directory; "" serves plain HTTP.
	WebConfigFile string `yaml:"web_config_file"`
	// Interval is the check interval of `ntphealth run`, at least 1 s.
	Interval time.Duration `yaml:"interval"`
	// LogFormat is "text" or "json" (log/slog handlers).
	LogFormat string `yaml:"log_format"`
	// StateDir is where `ntphealth run` keeps its history (history.db);
	// "" (default): $STATE_DIRECTORY, which systemd's StateDirectory= sets,
	// else memory only; "off": memory only.
	StateDir string `yaml:"state_dir"`
	// Unhealthy lists the statuses for which /health answers 503.
	Unhealthy []health.Status `yaml:"unhealthy"`
	// Sources are the sections of the pluggable sources (internal/source),
	// by name: the file's "ptp:" section overlays Sources["ptp"].
	Sources map[string]source.Config `yaml:"-"`

	// File is the path the config was read from; "" for Default.
	File string `yaml:"-"`
	// Warnings are problems that do not stop ntphealth but that the caller
	// should log, such as a token in a file others can read. They never
	// contain a token.
	Warnings []string `yaml:"-"`

	// origins maps a key path ("checks.offset_warn", "push[0].url") to where
	// its value came from ("ntphealth.yaml:12", "--interval").
	origins map[string]string
}

// ChronyConfig says where chronyd's command socket is.
type ChronyConfig struct {
	// Address is host:port (UDP, default 127.0.0.1:323, "[::1]:323" too) or
	// unix:///run/chrony/chronyd.sock; "" means the default; "off": never.
	Address string `yaml:"address"`
}

// NTPDConfig says where ntpd answers NTP mode 6 queries.
type NTPDConfig struct {
	// Address is host:port, e.g. 127.0.0.1:123; "" (default): asked at
	// 127.0.0.1:123 when chronyd is left at its default and does not
	// answer; "off": never.
	Address string `yaml:"address"`
}

// KernelConfig controls the adjtimex(2) probe.
type KernelConfig struct {
	// Enabled is "auto" (default), "true" or "false".
	Enabled string `yaml:"enabled"`
	// KernelPolicy holds the limits (max_error_warn, max_error_crit,
	// unsync, unsync_with_daemon), their one home and defaults in health.
	health.KernelPolicy `yaml:",inline"`
}

// Values of KernelConfig.Enabled.
const (
	KernelAuto  = "auto"
	KernelTrue  = "true"
	KernelFalse = "false"
)

// PPSConfig names a kernel PPS device.
type PPSConfig struct {
	// Device is a name such as "pps0", read from
	// <SysfsRoot>/class/pps/<Device>/assert; "" (default): pps0 when it
	// exists and no other local source is named; "off": never.
	Device string `yaml:"device"`
	// SysfsRoot is where sysfs is mounted (default /sys); tests point it at a
	// fixture tree.
	SysfsRoot string `yaml:"sysfs_root"`
	// PPSPolicy holds the limit (max_gap), its one home and default in health.
	health.PPSPolicy `yaml:",inline"`
}

// GPSConfig says where gpsd is and what fix it must report.
type GPSConfig struct {
	// Address is gpsd's host:port, e.g. 127.0.0.1:2947; "" (default):
	// 127.0.0.1:2947 when something listens there and no other local
	// source is named; "off": never.
	Address string `yaml:"address"`
	// GPSPolicy holds the limits (min_mode, min_satellites, max_age), their
	// one home and defaults in health.
	health.GPSPolicy `yaml:",inline"`
}

// Push is one heartbeat target: the settings that notify defines for every
// push kind (notify.Settings: kind, url, warning, ping, ping_unit, start,
// timeout, retries, method, body, headers, token; their spellings,
// defaults and rules are notify's), plus the files the secrets may be read
// from. Fields tagged secret:"true" hold a token: they are kept out of
// every error and warning.
type Push struct {
	notify.Settings `yaml:",inline"`
	// URLFile names a file that holds URL (whitespace trimmed), so the token
	// stays out of unit files; relative to the config file's directory.
	// Load (Parse) reads it into URL, once.
	URLFile string `yaml:"url_file"`
	// TokenFile names a file that holds Token, as URLFile does for URL.
	TokenFile string `yaml:"token_file"`

	// urlFrom and tokenFrom are the files URL and Token were read from, so
	// that Validate blames a value read from a file on its *_file key.
	urlFrom, tokenFrom string
}

// Default returns the documented defaults: chronyd on 127.0.0.1:323, the
// kernel in auto mode, health.DefaultPolicy, no push, HTTP on
// 127.0.0.1:9567 every 30 s.
func Default() Config {
	c := Config{
		Chrony:    ChronyConfig{Address: "127.0.0.1:323"},
		Kernel:    KernelConfig{Enabled: KernelAuto, KernelPolicy: health.DefaultKernelPolicy()},
		PPS:       PPSConfig{SysfsRoot: "/sys", PPSPolicy: health.DefaultPPSPolicy()},
		GPS:       GPSConfig{GPSPolicy: health.DefaultGPSPolicy()},
		NTP:       []string{},
		Timeout:   2 * time.Second,
		Checks:    health.DefaultPolicy(),
		Push:      []Push{},
		Listen:    "127.0.0.1:9567",
		Interval:  30 * time.Second,
		LogFormat: "text",
		Unhealthy: []health.Status{health.Critical, health.Unknown},
		Sources:   map[string]source.Config{},
	}
	for _, s := range source.All() {
		c.Sources[s.Name] = s.NewConfig()
	}
	c.syncPolicy()
	return c
}

// syncPolicy points health.Evaluate at the limits of the kernel:, pps:
// and gps: sections, which hold them (health.Policy's Kernel, PPS and GPS
// have no keys under checks:).
func (c *Config) syncPolicy() {
	c.Checks.Kernel, c.Checks.PPS, c.Checks.GPS = c.Kernel.KernelPolicy, c.PPS.PPSPolicy, c.GPS.GPSPolicy
}

// DefaultPush returns the defaults of one push target, notify's
// (notify.DefaultSettings: kind kuma, WARNING pushes up, ping carries
// |offset| in microseconds, 10 s per attempt, 2 retries). Every entry of the
// push list starts from it.
func DefaultPush() Push { return Push{Settings: notify.DefaultSettings()} }

// applyDefaults lets the decoder start each list entry from DefaultPush.
func (p *Push) applyDefaults() { *p = DefaultPush() }
