// Package render prints a report for people (text), for Nagios (one line
// with perfdata) and for programs (JSON).
package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// Text writes the report as a person reads it: the status line, every check
// with its observed value and limit, and the source table like chronyc's.
func Text(w io.Writer, r health.Report) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s\n\n", r.Summary)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tVALUE\tLIMIT (warn/crit)\tMESSAGE")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Status, value(c), limits(c), c.Message)
	}
	tw.Flush()
	if d := r.Daemon; d != nil && d.Error == "" {
		fmt.Fprintf(b, "\n%s at %s: reference %s (%s), stratum %d, leap %s\n",
			d.Kind, d.Address, d.Tracking.RefID, d.Tracking.RefName, d.Tracking.Stratum, d.Tracking.Leap)
		if len(d.Sources) > 0 {
			b.WriteString("\n")
			Sources(b, d.Sources)
		}
		if len(d.Unresolved) > 0 {
			b.WriteString("\n")
		}
		for _, u := range d.Unresolved {
			fmt.Fprintf(b, "%s (is DNS working? %s retries it)\n", u, d.Kind)
		}
	}
	for _, rd := range r.Readings { // pluggable sources (source.Reading)
		if t, ok := rd.Data.(interface{ Text(io.Writer) }); ok {
			b.WriteString("\n")
			t.Text(b)
		}
	}
	if len(r.Targets) > 0 {
		b.WriteString("\nRemote NTP servers:\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tSTATUS\tOFFSET\tRTT\tSTRATUM\tSUMMARY")
		for _, t := range r.Targets {
			offset, rtt, stratum := "-", "-", "-"
			if o := t.Remote; o != nil && o.Answered() {
				offset = health.FormatSeconds(o.Offset, true)
				rtt = health.FormatSeconds(o.RTT, false)
				stratum = fmt.Sprint(o.Stratum)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Target, t.Status, offset, rtt, stratum, t.Summary)
		}
		tw.Flush()
		fmt.Fprintln(b, offsetLegend)
	}
	for _, p := range r.Push {
		if p.OK {
			fmt.Fprintf(b, "\npush %s: sent %s (%d attempt(s))", p.Target, p.Sent, p.Attempts)
		} else {
			fmt.Fprintf(b, "\npush %s: FAILED after %d attempt(s): %s", p.Target, p.Attempts, p.Error)
		}
	}
	if len(r.Push) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// offsetLegend explains the sign of an offset column: RFC 5905's theta,
// which is the opposite of chronyc's.
const offsetLegend = "Offset +: the local clock is behind the source; -: ahead of it (RFC 5905; chronyc prints the opposite sign)."

// Sources writes the source table in chronyc's layout ("chronyc sources"):
// mode, state, name, stratum, poll, reach (octal), last sample age, offset
// and its error.
func Sources(w io.Writer, sources []observe.Source) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MS\tName/IP address\tStratum\tPoll\tReach\tLastRx\tOffset ± error")
	for _, s := range sources {
		age := "-"
		if s.SampleAge != nil {
			age = fmt.Sprintf("%.0fs", *s.SampleAge)
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%d\t%d\t%03o\t%s\t%s ± %s\n",
			modeChar(s.Mode), s.State, s.Label(), s.Stratum, s.Poll, s.Reach, age,
			health.FormatSeconds(s.Offset, true), health.FormatSeconds(s.OffsetError, false))
	}
	tw.Flush()
	fmt.Fprintln(w, offsetLegend)
}

// modeChar is chronyc's mode column: ^ server, = peer, # refclock.
func modeChar(m observe.Mode) string {
	switch m {
	case observe.ModeRefclock:
		return "#"
	case observe.ModePeer:
		return "="
	default:
		return "^"
	}
}

func value(c health.Check) string {
	if c.Value == nil {
		return "-"
	}
	return formatValue(*c.Value, c.Unit)
}

func limits(c health.Check) string {
	if c.Warn == nil || c.Crit == nil {
		return "-"
	}
	return formatValue(*c.Warn, c.Unit) + " / " + formatValue(*c.Crit, c.Unit)
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "s":
		return health.FormatSeconds(v, false)
	case "ppm":
		return fmt.Sprintf("%.3g ppm", v)
	default:
		return fmt.Sprintf("%g", v)
	}
}
