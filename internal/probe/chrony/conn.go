package chrony

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// unixScheme prefixes a path to chronyd's command socket.
const unixScheme = "unix://"

// dial opens a datagram connection to chronyd: UDP for host:port, or a unix
// datagram socket for unix:///path. For the unix socket the client binds a
// socket of its own next to chronyd's (as chronyc does), so chronyd can
// answer; cleanup removes it.
func dial(ctx context.Context, address string) (conn net.Conn, cleanup func(), err error) {
	if !strings.HasPrefix(address, unixScheme) {
		if ap, err := netip.ParseAddrPort(address); err == nil {
			// An address, not a name (127.0.0.1:323): nothing to
			// resolve, and the resolver's lists are not made each round.
			conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
			if err != nil {
				return nil, nil, err
			}
			return conn, func() {}, nil
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "udp", address)
		if err != nil {
			return nil, nil, err
		}
		return conn, func() {}, nil
	}
	remote := strings.TrimPrefix(address, unixScheme)
	if _, err := os.Stat(remote); err != nil {
		return nil, nil, fmt.Errorf("command socket: %w", err)
	}
	var lastErr error
	// chronyd (running as _chrony) must be able to write to our socket: its
	// own directory works for root; the temp directory for everyone else.
	for _, dir := range []string{filepath.Dir(remote), os.TempDir()} {
		local := filepath.Join(dir, fmt.Sprintf("ntphealth.%d.%d.sock", os.Getpid(), nextSocketID()))
		laddr := &net.UnixAddr{Name: local, Net: "unixgram"}
		raddr := &net.UnixAddr{Name: remote, Net: "unixgram"}
		c, err := net.DialUnix("unixgram", laddr, raddr)
		if err != nil {
			// DialUnix binds before it connects: a refused connect
			// (a stale socket of a dead chronyd) leaves our file behind.
			os.Remove(local)
			lastErr = err
			if errors.Is(err, os.ErrPermission) {
				continue // may not bind here: try the next directory
			}
			return nil, nil, err
		}
		_ = os.Chmod(local, 0o666)
		return c, func() { os.Remove(local) }, nil
	}
	return nil, nil, lastErr
}
