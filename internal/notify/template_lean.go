//go:build lean

package notify

import (
	"errors"
	"io"
	"text/template"
)

// TemplatesLinked is false in the lean build: see template_exec.go.
const TemplatesLinked = false

// errNoTemplates is what a webhook gets in the lean build, which never
// builds one: ntphealth hands such a check over to ntphealthd first.
var errNoTemplates = errors.New("this build of ntphealth does not render webhook templates: run ntphealthd")

func execute(*template.Template, io.Writer, any) error { return errNoTemplates }
