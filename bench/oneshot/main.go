// Command oneshot times short-lived commands side by side and prints each
// one's wall time, CPU time and peak RSS with its ratio to the first: the
// reference, e.g. bench/floor against `ntphealth check`.
//
//	oneshot [-n 30] [-warmup 3] NAME=COMMAND NAME=COMMAND...
//
// Each COMMAND is split on spaces (no shell). "@PUSH@" in it becomes the
// URL of a push receiver the program serves itself on 127.0.0.1, answering
// like Uptime Kuma's push API ({"ok":true}), at /api/push/NAME; the
// receiver counts each command's pushes, so a run that did not push shows.
//
// The commands run in turn, round after round (A B C A B C ...), so a
// machine whose speed drifts affects each alike; a ratio is taken within
// each round and the median of those is printed. In each round every
// command runs twice:
//
//   - started directly, for wall time (fork to reaped, as seen from here)
//     and CPU time (user + system of the process, from wait4's rusage, in
//     microseconds);
//   - started under /usr/bin/time -f %M, for peak RSS. A Go program starts
//     a child with vfork (CLONE_VM), and Linux counts the parent's
//     high-water RSS into the child's ru_maxrss at exec, so this program's
//     own rusage of its children would report its own size; GNU time
//     forks from a process of about 1 MiB.
//
// It exits 1 when a command could not be started or when a command's exit
// code changed between runs.
package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oneshot:", err)
		os.Exit(1)
	}
}

// command is one NAME=COMMAND argument and what its runs measured.
type command struct {
	name string
	args []string
	// wall, cpu and rss have one value per counted round.
	wall, cpu []time.Duration
	rss       []int64 // KiB
	codes     map[int]int
	lastOut   string
}

// receiver is the push receiver: it counts requests by the last path
// element (/api/push/NAME).
type receiver struct {
	mu    sync.Mutex
	count map[string]int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	name := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]
	r.mu.Lock()
	r.count[name]++
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

func (r *receiver) pushes(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[name]
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("oneshot", flag.ContinueOnError)
	n := fs.Int("n", 30, "counted rounds")
	warmup := fs.Int("warmup", 3, "rounds run first and not counted")
	timeBin := fs.String("time", "/usr/bin/time", "GNU time, for peak RSS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return fmt.Errorf("want at least two NAME=COMMAND arguments, the reference first")
	}
	if *n < 1 || *warmup < 0 {
		return fmt.Errorf("-n must be at least 1 and -warmup at least 0")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	recv := &receiver{count: map[string]int{}}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/api/push/"

	var cmds []*command
	for _, a := range fs.Args() {
		name, line, ok := strings.Cut(a, "=")
		if !ok || name == "" || strings.TrimSpace(line) == "" {
			return fmt.Errorf("%q: want NAME=COMMAND", a)
		}
		argv := strings.Fields(strings.ReplaceAll(line, "@PUSH@", base+name))
		cmds = append(cmds, &command{name: name, args: argv, codes: map[int]int{}})
	}

	for round := 0; round < *warmup+*n; round++ {
		counted := round >= *warmup
		for _, c := range cmds {
			wall, cpu, code, out, err := timed(c.args)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			rss, err := peakRSS(*timeBin, c.args)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			c.codes[code]++
			c.lastOut = out
			if counted {
				c.wall = append(c.wall, wall)
				c.cpu = append(c.cpu, cpu)
				c.rss = append(c.rss, rss)
			}
		}
	}

	fmt.Fprintf(stdout, "%d rounds after %d warm-up, each command twice a round (timed, then under %s for RSS), %d CPUs\n",
		*n, *warmup, *timeBin, runtime.NumCPU())
	fmt.Fprintf(stdout, "%-10s %-13s %-24s %-24s %-24s %s\n", "command", "exit codes", "wall ms min/med/max", "CPU ms min/med/max", "peak RSS MiB min/med/max", "pushes")
	for _, c := range cmds {
		fmt.Fprintf(stdout, "%-10s %-13s %-24s %-24s %-24s %d\n", c.name, codes(c.codes),
			spread(ms(c.wall)), spread(ms(c.cpu)), spread(mib(c.rss)), recv.pushes(c.name))
	}
	ref := cmds[0]
	for _, c := range cmds[1:] {
		fmt.Fprintf(stdout, "ratio %s/%s (median of the %d per-round ratios): wall %.2fx  CPU %.2fx  peak RSS %.2fx\n",
			c.name, ref.name, *n, ratio(ms(c.wall), ms(ref.wall)), ratio(ms(c.cpu), ms(ref.cpu)), ratio(mib(c.rss), mib(ref.rss)))
	}
	for _, c := range cmds {
		if len(c.codes) > 1 {
			return fmt.Errorf("%s exited with different codes (%s); its last output:\n%s", c.name, codes(c.codes), c.lastOut)
		}
	}
	return nil
}

// timed runs argv and returns its wall time, its CPU time (user + system),
// its exit code and what it printed.
func timed(argv []string) (wall, cpu time.Duration, code int, out string, err error) {
	var buf strings.Builder
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err = cmd.Start()
	if err != nil {
		return 0, 0, 0, "", err
	}
	err = cmd.Wait()
	wall = time.Since(start)
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		return 0, 0, 0, "", err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return wall, cpu, cmd.ProcessState.ExitCode(), buf.String(), nil
}

// peakRSS runs argv under GNU time and returns the peak RSS it reports, KiB.
func peakRSS(timeBin string, argv []string) (int64, error) {
	f, err := os.CreateTemp("", "oneshot-rss")
	if err != nil {
		return 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command(timeBin, append([]string{"-f", "%M", "-o", f.Name()}, argv...)...)
	if err := cmd.Run(); err != nil {
		if _, exit := err.(*exec.ExitError); !exit {
			return 0, err
		}
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return 0, err
	}
	// GNU time writes "Command exited with non-zero status N" first when
	// the command failed: the figure is the last line.
	lines := strings.Fields(strings.TrimSpace(string(b)))
	if len(lines) == 0 {
		return 0, fmt.Errorf("%s wrote nothing", timeBin)
	}
	return strconv.ParseInt(lines[len(lines)-1], 10, 64)
}

func ms(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / 1e6
	}
	return out
}

func mib(kib []int64) []float64 {
	out := make([]float64, len(kib))
	for i, k := range kib {
		out[i] = float64(k) / 1024
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(v []float64) string {
	return fmt.Sprintf("%.2f / %.2f / %.2f", slices.Min(v), median(v), slices.Max(v))
}

// ratio is the median of a[i]/b[i].
func ratio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return median(r)
}

func codes(m map[int]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d (%dx)", k, m[k]))
	}
	return strings.Join(parts, ",")
}
