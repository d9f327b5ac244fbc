package render

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ntphealth/ntphealth/internal/health"
)

// Nagios returns one plugin output line: the summary, then perfdata for every
// measured check ("offset=0.000001s;0.001;0.01"), per the Nagios plugin
// development guidelines (label=value[UOM];warn;crit).
func Nagios(r health.Report) string {
	var perf []string
	for _, c := range r.Checks {
		if c.Value == nil {
			continue
		}
		uom := ""
		if c.Unit == "s" {
			uom = "s"
		}
		p := fmt.Sprintf("%s=%s%s", perfLabel(c.Name), num(*c.Value), uom)
		if c.Warn != nil && c.Crit != nil {
			p += ";" + num(*c.Warn) + ";" + num(*c.Crit)
		}
		perf = append(perf, p)
	}
	// The text part must not contain '|', which starts perfdata.
	line := strings.ReplaceAll(r.Summary, "|", "/")
	if len(perf) == 0 {
		return line
	}
	return line + " | " + strings.Join(perf, " ")
}

// perfLabel quotes a label that contains spaces or '=' (guidelines: labels
// with spaces in single quotes).
func perfLabel(s string) string {
	if strings.ContainsAny(s, " ='") {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

// num prints a plain decimal (the guidelines allow no exponent), rounded to
// the nanosecond.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*1e9)/1e9, 'f', -1, 64) }
