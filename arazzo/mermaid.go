package arazzo

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLabel bounds edge labels so that long criteria keep diagrams readable.
const maxLabel = 48

// Mermaid writes one Mermaid flowchart per workflow of doc, in document
// order, separated by a blank line; each starts with "flowchart TD" and
// belongs in its own mermaid code block. Steps are nodes in order; solid
// edges are success paths (the implicit next step, goto and end actions),
// dotted edges are failure paths (goto, end and labelled retry loops), and
// edge labels summarise the action's criteria. Step-level actions come
// before the workflow's, as the runner tries them. The output depends only
// on doc, so it can be committed and diffed.
func Mermaid(w io.Writer, doc *Document) error {
	bw := bufio.NewWriter(w)
	for i, wf := range doc.Workflows {
		if i > 0 {
			bw.WriteString("\n")
		}
		mermaidWorkflow(bw, doc, wf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write mermaid: %w", err)
	}
	return nil
}

func mermaidWorkflow(w *bufio.Writer, doc *Document, wf *Workflow) {
	fmt.Fprintf(w, "flowchart TD\n")
	fmt.Fprintf(w, "  %%%% workflow %s\n", mermaidComment(wf.WorkflowID))
	fmt.Fprintf(w, "  start([\"%s\"])\n", mermaidText(wf.WorkflowID))
	ids := make(map[string]string, len(wf.Steps))
	for i, s := range wf.Steps {
		ids[s.StepID] = "s" + strconv.Itoa(i)
	}
	for i, s := range wf.Steps {
		fmt.Fprintf(w, "  s%d[\"%s\"]\n", i, mermaidText(stepLabel(s)))
	}
	usesEnd, usesFail := false, false
	externals := make(map[string]string)
	var externalOrder []string
	target := func(stepID, workflowID string) string {
		if stepID != "" {
			if id, ok := ids[stepID]; ok {
				return id
			}
			workflowID = "missing step " + stepID
		}
		id, ok := externals[workflowID]
		if !ok {
			id = "w" + strconv.Itoa(len(externals))
			externals[workflowID] = id
			externalOrder = append(externalOrder, workflowID)
		}
		return id
	}
	var edges []string
	if len(wf.Steps) > 0 {
		edges = append(edges, "  start --> s0")
	} else {
		edges = append(edges, "  start --> done")
		usesEnd = true
	}
	for i, s := range wf.Steps {
		from := "s" + strconv.Itoa(i)
		next := "done"
		if i+1 < len(wf.Steps) {
			next = "s" + strconv.Itoa(i+1)
		}
		success, _ := doc.StepSuccessActions(wf, s)
		fallthroughNext := true
		for _, a := range success {
			to := next
			switch a.Type {
			case "end":
				to = "done"
			case "goto":
				to = target(a.StepID, a.WorkflowID)
			default:
				continue
			}
			if to == "done" {
				usesEnd = true
			}
			edges = append(edges, fmt.Sprintf("  %s -->|\"%s\"| %s", from, mermaidText(actionLabel(a, "")), to))
			if len(a.Criteria) == 0 {
				fallthroughNext = false
				break
			}
		}
		if fallthroughNext {
			if next == "done" {
				usesEnd = true
			}
			if len(success) > 0 {
				edges = append(edges, fmt.Sprintf("  %s -->|otherwise| %s", from, next))
			} else {
				edges = append(edges, fmt.Sprintf("  %s --> %s", from, next))
			}
		}
		failure, _ := doc.StepFailureActions(wf, s)
		failDefault := len(failure) > 0
		for _, a := range failure {
			var to, label string
			switch a.Type {
			case "end":
				// The step failed, so ending here ends the workflow failed, as the runner does.
				to, label = "fail", actionLabel(a, "")
				usesFail = true
			case "goto":
				to, label = target(a.StepID, a.WorkflowID), actionLabel(a, "")
			case "retry":
				to, label = from, actionLabel(a, retryText(a))
				if a.StepID != "" || a.WorkflowID != "" {
					to = target(a.StepID, a.WorkflowID)
					label = actionLabel(a, retryText(a)+", then again")
				}
			default:
				continue
			}
			edges = append(edges, fmt.Sprintf("  %s -.->|\"%s\"| %s", from, mermaidText(label), to))
			if len(a.Criteria) == 0 && a.Type != "retry" {
				failDefault = false
				break
			}
		}
		if failDefault {
			usesFail = true
			edges = append(edges, fmt.Sprintf("  %s -.->|otherwise| fail", from))
		}
	}
	for _, wid := range externalOrder {
		fmt.Fprintf(w, "  %s[[\"%s\"]]\n", externals[wid], mermaidText(wid))
	}
	if usesEnd {
		fmt.Fprintf(w, "  done([end])\n")
	}
	if usesFail {
		fmt.Fprintf(w, "  fail([fail])\n")
	}
	for _, e := range edges {
		w.WriteString(e)
		w.WriteString("\n")
	}
}

func stepLabel(s *Step) string {
	if t := s.Target(); t != "" {
		return s.StepID + "\n" + t
	}
	return s.StepID
}

func retryText(a *Action) string {
	limit := 1
	if a.RetryLimit != nil {
		limit = *a.RetryLimit
	}
	text := "retry ×" + strconv.Itoa(limit)
	if a.RetryAfter != nil {
		text += " after " + strconv.FormatFloat(*a.RetryAfter, 'f', -1, 64) + "s"
	}
	return text
}

// actionLabel names the action and summarises its criteria.
func actionLabel(a *Action, what string) string {
	label := a.Name
	if what != "" {
		label += " (" + what + ")"
	}
	var conds []string
	for _, c := range a.Criteria {
		cond := c.Condition
		if t := c.EffectiveType(); t != "simple" {
			cond = t + " " + cond
		}
		conds = append(conds, cond)
	}
	if len(conds) > 0 {
		summary := strings.Join(conds, " && ")
		if r := []rune(summary); len(r) > maxLabel {
			summary = string(r[:maxLabel-1]) + "…"
		}
		label += ": " + summary
	}
	return label
}

// mermaidText escapes text for a quoted Mermaid label: quotes, markup and
// '#' (which starts an entity) become entity codes, newlines become <br/>.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#':
			b.WriteString("#35;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '&':
			b.WriteString("#amp;")
		case '|':
			b.WriteString("#124;")
		case '\n':
			b.WriteString("<br/>")
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mermaidComment keeps a comment on one line.
func mermaidComment(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
