package deadline

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// A read on a bound connection ends at the context's deadline, and at once
// when the context is cancelled.
func TestBind(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel bool
	}{{"deadline", false}, {"cancel", true}} {
		t.Run(tc.name, func(t *testing.T) {
			server, client := net.Pipe()
			defer server.Close()
			defer client.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			stop, err := Bind(ctx, client)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if tc.cancel {
				cancel()
			}
			done := make(chan error, 1)
			go func() {
				_, err := client.Read(make([]byte, 1))
				done <- err
			}()
			select {
			case err := <-done:
				if !IsTimeout(err) {
					t.Errorf("read error %v, want a timeout", err)
				}
				if got := Unanswered(fmt.Errorf("tracking request: %w", err)); got != "tracking request: no answer in time" {
					t.Errorf("Unanswered = %q", got)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("read not ended by the context")
			}
		})
	}
	if IsTimeout(errors.New("connection refused")) {
		t.Error("a refusal is not a timeout")
	}
}
