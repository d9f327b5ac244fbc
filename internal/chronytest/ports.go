package chronytest

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// Ports are drawn at random below Linux's ephemeral range (32768-60999 by
// default, ip_local_port_range in ip-sysctl.txt), so they never collide with
// a client socket's automatic port, and each is checked free on loopback.
// Parallel test processes may still race for one between the check and
// chronyd's bind: Start then retries with new ports.
const (
	portMin = 20000
	portMax = 32000
)

// freePort returns a UDP port on 127.0.0.1 that nothing is bound to now,
// other than the ones in avoid.
func freePort(avoid ...int) (int, error) {
	var lastErr error
	for range 100 {
		p := portMin + rand.IntN(portMax-portMin)
		if contains(avoid, p) {
			continue
		}
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			lastErr = err
			continue
		}
		conn.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free UDP port on 127.0.0.1 in %d-%d: %w", portMin, portMax, lastErr)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pickPorts chooses the command port, the NTP port when serving, and a port
// where nothing answers for Options.UnreachableServer.
func (c *Chronyd) pickPorts() error {
	var err error
	if c.cmdPort, err = freePort(); err != nil {
		return err
	}
	c.ntpPort, c.deadPort = 0, 0
	if c.opts.Serve {
		if c.ntpPort, err = freePort(c.cmdPort); err != nil {
			return err
		}
	}
	if c.opts.UnreachableServer {
		if c.deadPort, err = freePort(c.cmdPort, c.ntpPort); err != nil {
			return err
		}
	}
	return nil
}
