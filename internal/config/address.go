package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// unixScheme prefixes the path of chronyd's command socket.
const unixScheme = "unix://"

// hostPortProblem checks a host:port address and returns what is wrong with
// it, or "". example is shown in the hint; emptyHost allows ":9567" (every
// interface), and port 0 is allowed only with it.
func hostPortProblem(addr, example string, emptyHost bool) string {
	if strings.Contains(addr, "://") {
		return fmt.Sprintf("%s is a URL; write host:port, e.g. %s", quote(addr), example)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return fmt.Sprintf("%s has no port; write host:port, e.g. %s (IPv6 in brackets: [::1]:port)", quote(addr), example)
		}
		return fmt.Sprintf("invalid address %s; write host:port, e.g. %s (IPv6 in brackets: [::1]:port)", quote(addr), example)
	}
	if problem := hostProblem(host); problem != "" {
		if host != "" || !emptyHost {
			return fmt.Sprintf("%s: %s; write host:port, e.g. %s", quote(addr), problem, example)
		}
	}
	n, err := strconv.Atoi(port)
	low := 1
	if emptyHost {
		low = 0
	}
	if err != nil || n < low || n > 65535 {
		return fmt.Sprintf("invalid port %s in %s; use a number from %d to 65535", quote(port), quote(addr), low)
	}
	return ""
}

// hostProblem checks a host name or IP address (no port).
func hostProblem(host string) string {
	switch {
	case host == "":
		return "missing host"
	case strings.ContainsAny(host, " \t\r\n/?#@[]"):
		return "the host holds a space or one of / ? # @ [ ]"
	}
	return ""
}

// socketAddressProblem checks chrony.address: host:port (UDP) or
// unix:///absolute/path, as chronyc(1) -h accepts.
func socketAddressProblem(addr, example string) string {
	if rest, ok := strings.CutPrefix(addr, unixScheme); ok {
		if !filepath.IsAbs(rest) {
			return fmt.Sprintf("%s: the socket path must be absolute; write unix:///run/chrony/chronyd.sock (three slashes)", quote(addr))
		}
		return ""
	}
	if filepath.IsAbs(addr) {
		return fmt.Sprintf("%s is a bare path; write unix://%s", quote(addr), addr)
	}
	return hostPortProblem(addr, example+" or unix:///run/chrony/chronyd.sock", false)
}

// serverProblem checks a remote NTP server: host or host:port (port 123 by
// default), or [v6addr]:port; a bare IPv6 address is accepted as a host.
func serverProblem(s string) string {
	if strings.Contains(s, "://") {
		return fmt.Sprintf("%s is a URL; write host or host:port, e.g. pool.ntp.org or 192.0.2.1:123", quote(s))
	}
	if ip := net.ParseIP(s); ip != nil {
		return ""
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return hostPortProblem(s, "192.0.2.1:123", false)
	}
	if p := hostProblem(s); p != "" || strings.Contains(s, ":") {
		return fmt.Sprintf("invalid server %s; write host or host:port, e.g. pool.ntp.org or [2001:db8::1]:123", quote(s))
	}
	return ""
}
