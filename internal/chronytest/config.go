package chronytest

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// writeConfig writes the instance's chrony.conf (chrony.conf(5)) for the
// ports picked last.
func (c *Chronyd) writeConfig() {
	c.t.Helper()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# written by chronytest for %s", c.t.Name())
	line("pidfile %s/chronyd.pid", c.sockDir)
	line("logdir %s", c.dir)
	line("bindcmdaddress %s", c.socketPath())
	line("bindcmdaddress 127.0.0.1")
	line("cmdport %d", c.cmdPort)
	if c.opts.Serve {
		line("port %d", c.ntpPort)
		line("bindaddress 127.0.0.1")
		line("allow 127.0.0.1")
	} else {
		line("port 0")
	}
	if c.opts.Refclocks {
		p := c.refclockPaths()
		off := ""
		if c.opts.RefclockOffset != 0 {
			off = fmt.Sprintf(" offset %.9f", c.opts.RefclockOffset.Seconds())
		}
		// filter 1: chrony 4.3 makes a filtered sample only once the filter
		// holds min(filter, 4) raw samples within a poll; the default 64
		// never yields one at one sample a second.
		line("refclock SOCK %s refid GPS poll %d filter 1 delay 0.2%s", p.GPS, c.opts.Poll, off)
		line("refclock SOCK %s refid PPS lock GPS poll %d filter 1%s", p.PPS, c.opts.Poll, off)
	}
	if c.fallback != nil {
		line("server 127.0.0.1 port %d iburst minpoll 0 maxpoll 0 maxsamples 8", c.fallback.ntpPort)
	}
	if c.opts.UnreachableServer {
		line("server 127.0.0.1 port %d iburst minpoll 0 maxpoll 0", c.deadPort)
	}
	if c.opts.LocalStratum > 0 {
		line("local stratum %d", c.opts.LocalStratum)
	}
	for _, l := range c.opts.Extra {
		line("%s", l)
	}
	if err := os.WriteFile(c.conf, []byte(b.String()), 0o644); err != nil {
		c.t.Fatalf("chronytest: write config: %v", err)
	}
}

// chronyUser is the account chronyd drops to (-u _chrony), created by
// Debian's chrony package.
func chronyUser() (uid, gid int, err error) {
	u, err := user.Lookup("_chrony")
	if err != nil {
		return 0, 0, fmt.Errorf("user _chrony: %w", err)
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, fmt.Errorf("user _chrony: uid %q: %w", u.Uid, err)
	}
	gid, err = strconv.Atoi(u.Gid)
	if err != nil {
		return 0, 0, fmt.Errorf("user _chrony: gid %q: %w", u.Gid, err)
	}
	return uid, gid, nil
}
