package arazzo

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trama-dev/trama/asyncapi"
	"github.com/trama-dev/trama/internal/suggest"
)

// ResolvedAsync is the AsyncAPI operation or channel an asynchronous step (Arazzo 1.1) uses.
type ResolvedAsync struct {
	Source *Source
	// Operation is the AsyncAPI operation the step names; nil when it names a channel by channelPath.
	Operation *asyncapi.Operation
	// Channel is the operation's channel, or the one channelPath points at.
	Channel *asyncapi.Channel
}

// Messages are the messages the step may send or receive: the operation's, or the channel's.
func (ra *ResolvedAsync) Messages() []*asyncapi.Message {
	if ra.Operation != nil && len(ra.Operation.Messages) > 0 {
		return ra.Operation.Messages
	}
	return ra.Channel.Messages
}

// CorrelationLocation is where the step's messages carry their correlation id: the first message that
// declares one.
func (ra *ResolvedAsync) CorrelationLocation() string {
	for _, m := range ra.Messages() {
		if m.CorrelationLocation != "" {
			return m.CorrelationLocation
		}
	}
	return ""
}

// IsAsync reports whether step references an AsyncAPI operation or channel; steps that name nothing an
// AsyncAPI source holds are not. A reference into an asyncapi source that does not resolve (an unknown
// operationId, an ambiguous bare one, a channelPath to a missing channel or source) counts as async, as
// the runner counts it, so the validator reports it as such.
func (b *Bundle) IsAsync(doc *Document, step *Step) bool {
	ra, _, err := b.resolveAsync(doc, step)
	return ra != nil || err != nil
}

// ResolveAsync finds the AsyncAPI operation or channel step uses: channelPath
// `{$sourceDescriptions.<name>.url}#/channels/<channel>`, operationId written bare (when no openapi source
// has it), `$sourceDescriptions.<name>.<operationId>` or `<name>.<operationId>` of an asyncapi source, or
// operationPath `{$sourceDescriptions.<name>.url}#/operations/<id>`. It returns nil, nil for a step that
// uses no AsyncAPI source.
func (b *Bundle) ResolveAsync(doc *Document, step *Step) (*ResolvedAsync, error) {
	ra, _, err := b.resolveAsync(doc, step)
	return ra, err
}

func (b *Bundle) resolveAsync(doc *Document, step *Step) (*ResolvedAsync, *resolveNote, error) {
	srcs := b.sources[doc]
	switch {
	case step.ChannelPath != "":
		src, pointer, note, err := asyncPointer(srcs, doc, step.ChannelPath, "channelPath")
		if err != nil {
			return nil, nil, err
		}
		ch, err := src.AsyncAPI.ChannelAt(pointer)
		if err != nil {
			return nil, nil, fmt.Errorf("channelPath %q: %w", step.ChannelPath, err)
		}
		return &ResolvedAsync{Source: src, Channel: ch}, note, nil
	case step.OperationPath != "":
		path := step.OperationPath
		if !strings.Contains(path, "#") {
			// The 1.1 specification's own example writes `operationPath: $sourceDescriptions.<name>.<operationId>`.
			name, id, ok := sourceOperation(path)
			if src := srcs[name]; ok && src != nil && src.AsyncAPI != nil {
				op, err := src.AsyncAPI.Operation(id)
				if err != nil {
					return nil, nil, fmt.Errorf("operationPath %q: %w", path, err)
				}
				return &ResolvedAsync{Source: src, Operation: op, Channel: op.Channel}, &resolveNote{code: "operation-path-form",
					msg: fmt.Sprintf("operationPath %q names an operation the way operationId does; write operationId: %s", path, path)}, nil
			}
			return nil, nil, nil
		}
		ref, pointer, _ := strings.Cut(path, "#")
		name := pointerSourceName(ref)
		if src := srcs[name]; src == nil || src.AsyncAPI == nil {
			return nil, nil, nil
		}
		src, pointer, note, err := asyncPointer(srcs, doc, path, "operationPath")
		if err != nil {
			return nil, nil, err
		}
		if id, ok := strings.CutPrefix(pointer, "/operations/"); ok {
			op, err := src.AsyncAPI.Operation(unescapePointer(id))
			if err != nil {
				return nil, nil, fmt.Errorf("operationPath %q: %w", path, err)
			}
			return &ResolvedAsync{Source: src, Operation: op, Channel: op.Channel}, note, nil
		}
		ch, err := src.AsyncAPI.ChannelAt(pointer)
		if err != nil {
			return nil, nil, fmt.Errorf("operationPath %q: %w", path, err)
		}
		return &ResolvedAsync{Source: src, Channel: ch}, note, nil
	case step.OperationID != "":
		return resolveAsyncOperationID(srcs, step.OperationID, step.Action != "")
	}
	return nil, nil, nil
}

// resolveAsyncOperationID finds an operationId in the document's asyncapi sources. A bare id counts only
// when no openapi source has it (ResolveOperation finds those).
// With an action, the step means an AsyncAPI operation: a bare id found nowhere is an error that
// suggests the nearest asyncapi operation, not a missing OpenAPI one.
func resolveAsyncOperationID(srcs map[string]*Source, raw string, hasAction bool) (*ResolvedAsync, *resolveNote, error) {
	id := strings.TrimSuffix(strings.TrimPrefix(raw, "{"), "}")
	if name, opID, ok := sourceOperation(id); ok {
		src := srcs[name]
		if src == nil || src.AsyncAPI == nil {
			return nil, nil, nil
		}
		op, err := src.AsyncAPI.Operation(opID)
		if err != nil {
			return nil, nil, fmt.Errorf("operationId %q: %w", raw, err)
		}
		return &ResolvedAsync{Source: src, Operation: op, Channel: op.Channel}, nil, nil
	}
	if name, opID, ok := strings.Cut(id, "."); ok {
		if src := srcs[name]; src != nil && src.AsyncAPI != nil {
			if op, err := src.AsyncAPI.Operation(opID); err == nil {
				return &ResolvedAsync{Source: src, Operation: op, Channel: op.Channel}, &resolveNote{code: "operation-id-shorthand",
					msg: fmt.Sprintf("operationId %q uses a form the specification does not define; write $sourceDescriptions.%s.%s", raw, name, opID)}, nil
			}
		}
	}
	var names []string
	for name, src := range srcs {
		if src.OpenAPI != nil {
			if _, err := src.OpenAPI.Operation(id); err == nil {
				return nil, nil, nil // an OpenAPI operation: ResolveOperation's
			}
		}
		if src.AsyncAPI != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var found []*ResolvedAsync
	for _, name := range names {
		src := srcs[name]
		if op, err := src.AsyncAPI.Operation(id); err == nil {
			found = append(found, &ResolvedAsync{Source: src, Operation: op, Channel: op.Channel})
		}
	}
	switch len(found) {
	case 0:
		if !hasAction || len(names) == 0 {
			return nil, nil, nil
		}
		var ids []string
		for _, name := range names {
			ids = append(ids, srcs[name].AsyncAPI.OperationIDs()...)
		}
		msg := fmt.Sprintf("operationId %q is not in asyncapi source %s", raw, strings.Join(quoteAll(names), ", "))
		if s := suggest.Closest(id, ids); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, nil, fmt.Errorf("%s: %w", msg, asyncapi.ErrNotFound)
	case 1:
		return found[0], nil, nil
	}
	return nil, nil, fmt.Errorf("operationId %q is in asyncapi sources %s; write $sourceDescriptions.<name>.%s: %w", raw,
		strings.Join(quoteAll(names), " and "), id, ErrAmbiguousOperation)
}

// sourceOperation splits `$sourceDescriptions.<name>.<id>`.
func sourceOperation(s string) (name, id string, ok bool) {
	rest, ok := strings.CutPrefix(s, "$sourceDescriptions.")
	if !ok {
		return "", "", false
	}
	name, id, ok = strings.Cut(rest, ".")
	return name, id, ok && name != "" && id != ""
}

// pointerSourceName is the source name in `{$sourceDescriptions.<name>.url}`, braces optional.
func pointerSourceName(ref string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(ref, "{"), "}")
	rest, _ := strings.CutPrefix(inner, "$sourceDescriptions.")
	name, _, _ := strings.Cut(rest, ".")
	return name
}

// asyncPointer splits `{$sourceDescriptions.<name>.url}#<pointer>` and finds its asyncapi source.
func asyncPointer(srcs map[string]*Source, doc *Document, path, field string) (*Source, string, *resolveNote, error) {
	ref, pointer, ok := strings.Cut(path, "#")
	if !ok {
		return nil, "", nil, fmt.Errorf("%s %q: want {$sourceDescriptions.<name>.url}#/channels/<channel>", field, path)
	}
	var note *resolveNote
	inner := ref
	if strings.HasPrefix(ref, "{") && strings.HasSuffix(ref, "}") {
		inner = ref[1 : len(ref)-1]
	} else {
		note = &resolveNote{code: "operation-path-unbraced",
			msg: fmt.Sprintf("%s %q: write the source expression in braces: {%s}#%s", field, path, ref, pointer)}
	}
	rest, ok := strings.CutPrefix(inner, "$sourceDescriptions.")
	name, urlField, _ := strings.Cut(rest, ".")
	if !ok || urlField != "url" {
		return nil, "", nil, fmt.Errorf("%s %q: want {$sourceDescriptions.<name>.url}#<json-pointer>", field, path)
	}
	src := srcs[name]
	switch {
	case src == nil && doc != nil && doc.SourceDescription(name) != nil:
		return nil, "", nil, fmt.Errorf("%s %q: source %q did not load: %w", field, path, name, ErrUnknownSource)
	case src == nil:
		return nil, "", nil, fmt.Errorf("%s %q: no source description %q: %w", field, path, name, ErrUnknownSource)
	case src.AsyncAPI == nil:
		return nil, "", nil, fmt.Errorf("%s %q: source %q is an %s source, not asyncapi: %w", field, path, name, src.Type, ErrUnknownSource)
	}
	return src, pointer, note, nil
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// asyncStep checks a step that sends or receives a message: its action, correlationId and what an
// HTTP-only field means there.
func (v *validator) asyncStep(w *Workflow, s *Step) {
	field := "operationId"
	switch {
	case s.ChannelPath != "":
		field = "channelPath"
	case s.OperationPath != "":
		field = "operationPath"
	}
	ra, note, err := v.b.resolveAsync(v.doc, s)
	if err != nil {
		v.ds.errorf(s.Pos(field), resolveErrorCode(err), "step %q: %v", s.StepID, err)
		return
	}
	if note != nil {
		v.ds.warnf(s.Pos(field), note.code, "step %q: %s", s.StepID, note.msg)
	}
	if v.doc.minor == 0 {
		v.ds.warnf(s.Pos(field), "requires-1.1", "step %q uses AsyncAPI source %q, an Arazzo 1.1 feature, but the document declares arazzo %s",
			s.StepID, ra.Source.Name, v.doc.Arazzo)
	}
	switch s.Action {
	case "send", "receive":
	case "":
		v.ds.errorf(s.Pos(field), "missing-action", "step %q uses AsyncAPI %s: say whether it sends or receives with action: send or action: receive",
			s.StepID, asyncTarget(ra))
		return
	default:
		v.ds.errorf(s.Pos("action"), "invalid-action", "step %q has action %q; want send or receive", s.StepID, s.Action)
		return
	}
	if params, err := v.doc.StepParameters(w, s); err == nil {
		for _, name := range ra.Channel.Parameters {
			if !slices.ContainsFunc(params, func(p *Parameter) bool { return p.Name == name }) {
				v.ds.warnf(s.Pos(field), "missing-channel-parameter", "step %q: channel %q has the parameter {%s}: give it as a step parameter named %q",
					s.StepID, ra.Channel.Address, name, name)
			}
		}
	}
	if s.CorrelationID != nil && s.Action == "send" {
		v.ds.warnf(s.KeyPos("correlationId"), "ignored-correlation", "step %q sends: correlationId applies to receive steps only (a send step puts its correlation id in a header parameter or the payload)", s.StepID)
	}
	if s.Action == "receive" && s.RequestBody != nil {
		v.ds.warnf(s.KeyPos("requestBody"), "unexpected-request-body", "step %q receives: its requestBody is not sent", s.StepID)
	}
	if s.Action == "send" && s.RequestBody == nil {
		v.ds.warnf(s.Pos(field), "missing-request-body", "step %q sends a message without a payload: give it in requestBody.payload", s.StepID)
	}
	if s.CorrelationID != nil && s.Action == "receive" && ra.CorrelationLocation() == "" && !strings.HasPrefix(ra.Channel.Address, "okta/") {
		v.ds.warnf(s.KeyPos("correlationId"), "no-correlation-location", "step %q has a correlationId but no message of %s declares a correlationId location, so every message matches",
			s.StepID, asyncTarget(ra))
	}
}

func asyncTarget(ra *ResolvedAsync) string {
	if ra.Operation != nil {
		return fmt.Sprintf("operation %q of source %q", ra.Operation.ID, ra.Source.Name)
	}
	return fmt.Sprintf("channel %q of source %q", ra.Channel.Address, ra.Source.Name)
}
