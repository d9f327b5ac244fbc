package ntpclient

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is the NTP server port (RFC 5905 section 7.2, IANA "ntp").
const DefaultPort = 123

// maxHostLen is the longest DNS name (RFC 1035 section 2.3.4: 255 octets on
// the wire, 253 as text).
const maxHostLen = 253

// ParseTarget checks that s is host[:port] and nothing else: an IPv4 address,
// an IPv6 address (bracketed when a port follows: "[2001:db8::1]:123"), or a
// DNS name; no scheme, path, user or query. It returns the host and the port,
// defaultPort when s has none.
func ParseTarget(s string, defaultPort int) (host string, port int, err error) {
	bad := func(why string) (string, int, error) {
		return "", 0, fmt.Errorf("target %q: %s: give host[:port], for example pool.ntp.org or 192.0.2.1:123", s, why)
	}
	switch {
	case s == "":
		return bad("empty")
	case len(s) > maxHostLen+8:
		return bad("too long")
	case strings.Contains(s, "://"):
		return bad("a URL, not a host")
	case strings.ContainsAny(s, "/?#@ \t\r\n\\"):
		return bad("contains a character a host name cannot have")
	}
	host, portStr := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			// "[::1]" without a port.
			if strings.HasSuffix(s, "]") {
				h, p = s[1:len(s)-1], ""
			} else {
				return bad("malformed brackets")
			}
		}
		if _, err := netip.ParseAddr(h); err != nil || !strings.Contains(h, ":") {
			return bad("only an IPv6 address goes in brackets")
		}
		host, portStr = h, p
	case strings.Count(s, ":") == 1:
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			return bad(err.Error())
		}
		host, portStr = h, p
	case strings.Count(s, ":") > 1:
		// A bare IPv6 address, no port.
		if _, err := netip.ParseAddr(s); err != nil {
			return bad("not an IPv6 address (put it in brackets to add a port)")
		}
	}
	port = defaultPort
	if port == 0 {
		port = DefaultPort
	}
	if strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "::") {
		return bad("port must be a number from 1 to 65535")
	}
	if portStr != "" {
		n, err := strconv.Atoi(portStr)
		if err != nil || n < 1 || n > 65535 {
			return bad("port must be a number from 1 to 65535")
		}
		port = n
	}
	if err := checkHost(host); err != nil {
		return bad(err.Error())
	}
	return host, port, nil
}

// checkHost accepts an IP address or a DNS name of letters, digits, '-', '_'
// and dots (RFC 1123 section 2.1; '_' is common in internal names).
func checkHost(h string) error {
	if h == "" {
		return errors.New("no host")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return errors.New("zoned IPv6 addresses are not supported")
		}
		return nil
	}
	if len(h) > maxHostLen {
		return errors.New("host name longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return errors.New("host name has an empty or over-long label")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("host name label starts or ends with '-'")
		}
		for _, c := range label {
			ok := c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			if !ok {
				return fmt.Errorf("host name contains %q", c)
			}
		}
	}
	return nil
}
