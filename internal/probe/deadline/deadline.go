// Package deadline ties a connection to a context, so that no probe can
// hang: the context's deadline bounds every read and write, and cancelling
// the context (SIGTERM) ends a blocked one at once.
package deadline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Bind sets conn's deadline to ctx's and makes ctx's cancellation end any
// blocked read or write. Call stop when the exchange is over.
func Bind(ctx context.Context, conn net.Conn) (stop func(), err error) {
	if d, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(d); err != nil {
			return func() {}, err
		}
	}
	cancel := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	return func() { cancel() }, nil
}

// Dial connects to addr within ctx and binds the connection to ctx (see
// Bind). release ends the binding and closes the connection.
func Dial(ctx context.Context, network, addr string) (conn net.Conn, release func(), err error) {
	var d net.Dialer
	conn, err = d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	stop, err := Bind(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, func() { stop(); conn.Close() }, nil
}

// IsTimeout reports whether err is a deadline that passed.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// Unanswered names the request a timed-out exchange was waiting on, from
// the first part of its error ("tracking request: ..." gives
// "tracking request: no answer in time"), so a daemon that stops mid-query
// is reported with the request it left unanswered.
func Unanswered(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 {
		return msg[:i+2] + "no answer in time"
	}
	return "no answer in time"
}
