//go:build !lean

package notify

import (
	"io"
	"text/template"
)

// TemplatesLinked says that this binary renders webhook templates. The lean
// build of ntphealth (-tags lean, template_lean.go) leaves text/template's
// executor out: it calls methods by name through reflection, which makes
// the linker keep every exported method of every type in the program,
// about 1.3 MB, mapped at each start of a one-shot check. That build hands
// a check with a webhook target over to ntphealthd, the complete program.
const TemplatesLinked = true

// execute renders t over data into w.
func execute(t *template.Template, w io.Writer, data any) error { return t.Execute(w, data) }
