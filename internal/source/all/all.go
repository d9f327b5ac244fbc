// Package all links in every pluggable source of truth: each registers
// itself with source.Register from init. Adding a source is a line here.
// The command imports this package, and so do the tests that read the
// example config, which documents every source's section.
package all

import (
	_ "github.com/ntphealth/ntphealth/internal/source/ptp"
)
