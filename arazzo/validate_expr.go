package arazzo

import (
	"errors"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/arazzo/expr"
	"github.com/trama-dev/trama/internal/lazyregexp"
)

// expressionLike matches plain strings an author almost certainly meant as
// a runtime expression: "$" then a root-like word and a dot, without spaces
// ("$inptus.userId"). Literal text such as "$5" or a JSONPath "$.a" does
// not match.
var expressionLike = lazyregexp.New(`^\$[A-Za-z][A-Za-z0-9]*[.#]\S*$`)

// values checks every string inside a raw value (a parameter value, a
// payload, a replacement value) for runtime expressions.
func (v *validator) values(n *yaml.Node, sc scope) {
	budget := maxValueNodes
	v.walkStrings(n, sc, &budget)
}

func (v *validator) walkStrings(n *yaml.Node, sc scope, budget *int) {
	*budget--
	if n == nil || *budget < 0 {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" || n.Tag == "" {
			v.stringValue(n, sc)
		}
	case yaml.MappingNode:
		if s := v.doc.selectors[n]; s != nil {
			v.selector(s, sc, true)
			return
		}
		for i := 1; i < len(n.Content); i += 2 {
			v.walkStrings(n.Content[i], sc, budget)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			v.walkStrings(c, sc, budget)
		}
	}
	// Aliases point at nodes checked where they were defined.
}

func (v *validator) stringValue(n *yaml.Node, sc scope) {
	s := n.Value
	p := nodePos(n)
	t, err := expr.ParseTemplate(s, expr.Compat)
	if err != nil {
		v.ds.errorf(shiftPos(n, p, err), "invalid-expression", "%q: %s", s, syntaxMessage(err))
		return
	}
	for _, bu := range t.BareUses() {
		sev := Warning
		if v.opts.Strict {
			sev = Error
		}
		fixed := s[:bu.Start] + bu.Suggestion + s[bu.End:]
		v.ds.add(sev, offsetPos(n, p, bu.Start), "bare-expression", "bare expression %q inside a string: write %q", bu.Expr.Raw, fixed)
	}
	for _, e := range t.Expressions() {
		v.reference(e, p, sc)
	}
	if t.IsLiteral() && expressionLike.MatchString(s) {
		if _, err := expr.Parse(s); err != nil {
			v.ds.errorf(p, "invalid-expression", "%q looks like a runtime expression but is not one: %s", s, syntaxMessage(err))
		}
	}
}

// expression checks a field that must hold exactly one runtime expression
// (an output, a criterion context).
func (v *validator) expression(s string, p Pos, sc scope, what string) {
	text := strings.TrimSpace(s)
	if strings.HasPrefix(text, "{") && strings.HasSuffix(text, "}") {
		text = text[1 : len(text)-1]
	}
	e, err := expr.Parse(text)
	if err != nil {
		v.ds.errorf(p, "invalid-expression", "%s %q is not a runtime expression: %s", what, s, syntaxMessage(err))
		return
	}
	v.reference(e, p, sc)
}

// reference checks that what a parsed expression names exists: steps and
// their outputs, inputs, workflows, components and sources.
func (v *validator) reference(e expr.Expr, p Pos, sc scope) {
	switch e.Root {
	case expr.RootSteps:
		if sc.wf == nil {
			return
		}
		idx := sc.wf.StepIndex(e.StepID)
		if idx < 0 {
			v.ds.errorf(p, "unknown-step", "%s: no step %q in workflow %q", e.Raw, e.StepID, sc.wf.WorkflowID)
			return
		}
		target := sc.wf.Steps[idx]
		if e.Field == "outputs" && !hasOutput(target.Outputs, e.Name) {
			v.ds.errorf(p, "unknown-output", "%s: step %q defines no output %q", e.Raw, e.StepID, e.Name)
		}
		if sc.step >= 0 && idx > sc.step && !usesDependsOn(sc.wf) {
			v.ds.warnf(p, "forward-reference", "%s: step %q runs after step %q, so its outputs are not set yet", e.Raw, e.StepID, sc.wf.Steps[sc.step].StepID)
		}
	case expr.RootInputs:
		if sc.wf == nil {
			return
		}
		props, known := inputProperties(v.doc, sc.wf.Inputs)
		if known && !hasOutputLike(props, e.Name) {
			v.ds.errorf(p, "unknown-input", "%s: the inputs schema of workflow %q has no property %q", e.Raw, sc.wf.WorkflowID, e.Name)
		}
	case expr.RootWorkflows:
		w := v.doc.Workflow(e.WorkflowID)
		if w == nil {
			v.ds.errorf(p, "unknown-workflow", "%s: no workflow %q in this document", e.Raw, e.WorkflowID)
			return
		}
		switch e.Field {
		case "outputs":
			if !hasOutput(w.Outputs, e.Name) {
				v.ds.errorf(p, "unknown-output", "%s: workflow %q defines no output %q", e.Raw, e.WorkflowID, e.Name)
			}
		case "inputs":
			if props, known := inputProperties(v.doc, w.Inputs); known && !hasOutputLike(props, e.Name) {
				v.ds.errorf(p, "unknown-input", "%s: the inputs schema of workflow %q has no property %q", e.Raw, e.WorkflowID, e.Name)
			}
		}
	case expr.RootComponents:
		var ok bool
		switch e.Kind {
		case "parameters":
			_, ok = v.doc.components().Parameters[e.Name]
		case "successActions":
			_, ok = v.doc.components().SuccessActions[e.Name]
		case "failureActions":
			_, ok = v.doc.components().FailureActions[e.Name]
		}
		if !ok {
			v.ds.errorf(p, "unknown-component", "%s: no component %s %q", e.Raw, e.Kind, e.Name)
		}
	case expr.RootSourceDescriptions:
		if v.doc.SourceDescription(e.SourceName) == nil {
			v.ds.errorf(p, "unknown-source", "%s: no source description %q", e.Raw, e.SourceName)
		}
	case expr.RootSelf, expr.RootMessage:
		if e.DottedPath {
			v.ds.warnf(p, "dotted-path", "%s: the 1.1 grammar writes a payload path as a JSON Pointer: $message.payload#%s (trama reads both)", e.Raw, e.Pointer)
		}
		if v.doc.minor == 0 {
			v.ds.warnf(p, "requires-1.1", "%s is an Arazzo 1.1 expression but the document declares arazzo %s", e.Raw, v.doc.Arazzo)
		}
	}
}

func hasOutput(outs map[string]any, name string) bool {
	_, ok := outs[name]
	return ok
}

// hasOutputLike accepts name or, because 1.1 names may contain dots that
// the runner also reads as member access ($inputs.user.id), its first
// segment.
func hasOutputLike(props map[string]bool, name string) bool {
	if props[name] {
		return true
	}
	first, _, _ := strings.Cut(name, ".")
	return props[first]
}

func usesDependsOn(w *Workflow) bool {
	for _, s := range w.Steps {
		if len(s.DependsOn) > 0 {
			return true
		}
	}
	return false
}

func syntaxMessage(err error) string {
	var se *expr.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}

// shiftPos moves p to the byte offset a syntax error names, when the
// scalar's style lets the column be computed exactly.
func shiftPos(n *yaml.Node, p Pos, err error) Pos {
	var se *expr.SyntaxError
	if !errors.As(err, &se) {
		return p
	}
	return offsetPos(n, p, se.Offset)
}

// offsetPos is the position of byte off of a scalar's value. Plain and
// quoted one-line scalars map offsets to columns; block scalars and escapes
// do not, and keep the value's start.
func offsetPos(n *yaml.Node, p Pos, off int) Pos {
	if n == nil || off < 0 || off > len(n.Value) || strings.Contains(n.Value[:off], "\n") {
		return p
	}
	cols := utf8.RuneCountInString(n.Value[:off])
	switch n.Style {
	case 0:
		return Pos{Line: p.Line, Col: p.Col + cols}
	case yaml.SingleQuotedStyle:
		if !strings.Contains(n.Value[:off], "'") {
			return Pos{Line: p.Line, Col: p.Col + 1 + cols}
		}
	case yaml.DoubleQuotedStyle:
		if !strings.ContainsAny(n.Value[:off], "\"\\") {
			return Pos{Line: p.Line, Col: p.Col + 1 + cols}
		}
	}
	return p
}
