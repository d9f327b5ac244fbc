package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ntphealth/ntphealth/internal/config"
	"github.com/ntphealth/ntphealth/internal/source"
)

// errHelp ends a command after --help was printed (exit 0).
var errHelp = errors.New("help shown")

// sourceFlags are the flags shared by check and run: where to look and where
// to push. Each overrides its config key when given.
type sourceFlags struct {
	configPath string
	chrony     string
	ntpd       string
	gpsd       string
	pps        string
	sysfsRoot  string
	ntp        listFlag
	kernel     string
	timeout    time.Duration
	pushURL    string
	noPush     bool
	prefer     string
	// sources are the --NAME flags of the pluggable sources, by name.
	sources map[string]*string
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func (f *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.configPath, "config", config.DefaultPath, "config `FILE` (YAML); an absent default file means defaults")
	fs.StringVar(&f.chrony, "chrony", "", "chronyd command `ADDR`: host:port (UDP, default 127.0.0.1:323) or unix:///run/chrony/chronyd.sock; \"off\" disables (config chrony.address)")
	fs.StringVar(&f.ntpd, "ntpd", "", "ntpd mode 6 `ADDR`, e.g. 127.0.0.1:123; \"off\" disables (config ntpd.address)")
	fs.StringVar(&f.gpsd, "gpsd", "", "gpsd `ADDR`, e.g. 127.0.0.1:2947; \"off\" disables (config gps.address)")
	fs.StringVar(&f.pps, "pps", "", "PPS device `NAME` under SYSFS/class/pps, e.g. pps0; \"off\" disables (config pps.device)")
	fs.StringVar(&f.sysfsRoot, "sysfs-root", "", "sysfs `DIR` for --pps (default /sys; config pps.sysfs_root)")
	fs.Var(&f.ntp, "ntp", "remote NTP server `HOST[:PORT]` to query; repeatable (config ntp)")
	fs.StringVar(&f.kernel, "kernel", "", "read the kernel clock with adjtimex (read-only): `MODE` auto, true or false (config kernel.enabled)")
	fs.DurationVar(&f.timeout, "timeout", 0, "deadline for each probe, a `DURATION` such as 2s (config timeout)")
	fs.StringVar(&f.pushURL, "push-url", "", "Uptime Kuma push `URL` (also the systemd credential "+config.CredentialPushURL+" or $"+config.EnvPushURL+"; config push[].url); a pasted ?status=up&msg=OK&ping= tail is fine")
	fs.BoolVar(&f.noPush, "no-push", false, "do not push, even if the config names push targets")
	fs.StringVar(&f.prefer, "prefer", "", "`SOURCE` that must be selected, e.g. PPS (config checks.prefer; default: any refclock)")
	f.sources = map[string]*string{}
	for _, s := range source.All() {
		f.sources[s.Name] = fs.String(s.Name, "", s.FlagUsage)
	}
}

// load reads the config file and applies the flags that were given, then
// the environment, so that flag > environment > file > default. The caller
// applies its own flags and then validates, once (config.Validate).
func (f *sourceFlags) load(fs *flag.FlagSet, stderr io.Writer) (config.Config, error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	if set["config"] {
		// A file named on the command line must exist; only the default
		// path may be absent.
		if _, err := os.Stat(f.configPath); err != nil {
			return config.Config{}, fmt.Errorf("--config: %w", err)
		}
	}
	cfg, err := config.Read(f.configPath)
	if err != nil {
		return cfg, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "ntphealth: warning:", w)
	}
	for _, o := range []override{
		{"chrony", "chrony.address", func() { cfg.Chrony.Address = f.chrony }},
		{"ntpd", "ntpd.address", func() { cfg.NTPD.Address = f.ntpd }},
		{"gpsd", "gps.address", func() { cfg.GPS.Address = f.gpsd }},
		{"pps", "pps.device", func() { cfg.PPS.Device = f.pps }},
		{"sysfs-root", "pps.sysfs_root", func() { cfg.PPS.SysfsRoot = f.sysfsRoot }},
		{"ntp", "ntp", func() { cfg.NTP = f.ntp }},
		{"kernel", "kernel.enabled", func() { cfg.Kernel.Enabled = f.kernel }},
		{"timeout", "timeout", func() { cfg.Timeout = f.timeout }},
		{"prefer", "checks.prefer", func() { cfg.Checks.Prefer = f.prefer }},
	} {
		o.apply(&cfg, set)
	}
	for name, v := range f.sources {
		if sec, ok := cfg.Sources[name]; ok {
			override{name, name, func() { *sec.Address() = *v }}.apply(&cfg, set)
		}
	}
	if set["push-url"] {
		cfg.SetPushURL(f.pushURL, "--push-url")
	} else if url, origin, err := config.ExternalPushURL(); err != nil {
		return cfg, err
	} else if url != "" {
		cfg.SetPushURL(url, origin)
	}
	if f.noPush {
		cfg.Push = nil
	}
	return cfg, nil
}

// parseFlags parses args; --help prints the usage on stdout and ends with
// errHelp; a bad flag prints it on stderr.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return errHelp
		}
		if a == "--" {
			break
		}
	}
	// The error is returned and printed once by main, with a pointer to --help.
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err != nil {
		return fmt.Errorf("%w (see ntphealth %s --help)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	return nil
}

// override is a flag that replaces a config key when it was given.
type override struct {
	flag, key string
	set       func()
}

// apply sets the key from the flag, if given, and records that later
// errors about the key should name the flag.
func (o override) apply(cfg *config.Config, given map[string]bool) {
	if given[o.flag] {
		o.set()
		cfg.SetOrigin(o.key, "--"+o.flag)
	}
}
