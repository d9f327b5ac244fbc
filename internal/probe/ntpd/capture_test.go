package ntpd

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/ntpdtest"
)

// update rewrites testdata/<scenario>/ from the real ntpd in the tests that
// run it: go test ./internal/probe/ntpd -run TestSHM -update
var update = flag.Bool("update", false, "capture ntpd's mode 6 replies into testdata")

// A capture file holds the reply datagrams to one request, each preceded by
// its length (16 bits, big-endian). It is named <opcode>-<association>.bin.
func captureName(op uint8, id uint16) string { return fmt.Sprintf("%d-%d.bin", op, id) }

// capture records ntpd's replies to the probe's requests into
// testdata/<scenario>, when -update is given.
func capture(t *testing.T, d *ntpdtest.Daemon, scenario string) {
	t.Helper()
	if !*update {
		return
	}
	dir := filepath.Join("testdata", scenario)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	d.InNetns(func() { err = captureTo(dir) })
	if err != nil {
		t.Fatalf("capture %s: %v", scenario, err)
	}
}

func captureTo(dir string) error {
	c, err := net.Dial("udp", ntpdtest.Address)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	seq := uint16(1)
	ask := func(op uint8, id uint16) ([]byte, error) {
		req := make([]byte, 12)
		req[0], req[1] = vnMode, op
		binary.BigEndian.PutUint16(req[2:], seq)
		binary.BigEndian.PutUint16(req[6:], id)
		seq++
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
		var file, data []byte
		for {
			b := make([]byte, 2048)
			n, err := c.Read(b)
			if err != nil {
				return nil, err
			}
			file = binary.BigEndian.AppendUint16(file, uint16(n))
			file = append(file, b[:n]...)
			if n >= 12 {
				data = append(data, b[12:n]...)
			}
			if b[1]&0x20 == 0 { // no "more" bit: the last fragment
				break
			}
		}
		return data, os.WriteFile(filepath.Join(dir, captureName(op, id)), file, 0o644)
	}
	list, err := ask(1, 0)
	if err != nil {
		return err
	}
	if _, err := ask(2, 0); err != nil {
		return err
	}
	assocs, err := parseAssociations(list)
	if err != nil {
		return err
	}
	if len(assocs) == 0 {
		return errors.New("no associations")
	}
	for _, a := range assocs {
		if _, err := ask(2, a.ID); err != nil {
			return err
		}
	}
	return nil
}

// loadCapture reads testdata/<scenario>/<op>-<id>.bin into datagrams.
func loadCapture(t testing.TB, scenario string, op uint8, id uint16) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", scenario, captureName(op, id)))
	if err != nil {
		t.Fatalf("%v (recapture with -update)", err)
	}
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			t.Fatalf("capture %s/%s truncated", scenario, captureName(op, id))
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}
