package arazzo

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/trama-dev/trama/openapi"
)

// ErrAmbiguousOperation is wrapped when a bare operationId names operations
// in several source descriptions.
var ErrAmbiguousOperation = errors.New("ambiguous operationId")

// ErrUnknownSource is wrapped when a step names a source description that
// does not exist or did not load.
var ErrUnknownSource = errors.New("unknown source description")

// ResolvedOperation is the OpenAPI operation a step calls and the source it
// belongs to.
type ResolvedOperation struct {
	Source *Source
	Op     *openapi.Operation
}

// ResolveOperation finds the operation step calls. doc is the document that
// holds step: source names are scoped to it. operationId may be written
// bare (searched in the document's OpenAPI sources), as
// `$sourceDescriptions.<name>.<operationId>`, or as `<name>.<operationId>`,
// which the specification does not define but other tools accept;
// operationPath as `{$sourceDescriptions.<name>.url}#/paths/...` or the same
// without braces. Steps that call a workflow have no operation and return an
// error.
func (b *Bundle) ResolveOperation(doc *Document, step *Step) (*ResolvedOperation, error) {
	ro, _, err := b.resolveOperation(doc, step)
	return ro, err
}

// resolveNote is a tolerated deviation found while resolving, reported by
// Validate as a warning.
type resolveNote struct {
	code, msg string
}

func (b *Bundle) resolveOperation(doc *Document, step *Step) (*ResolvedOperation, *resolveNote, error) {
	srcs := b.sources[doc]
	switch {
	case step.OperationID != "":
		return resolveOperationID(srcs, doc, step.OperationID)
	case step.OperationPath != "":
		return resolveOperationPath(srcs, step.OperationPath)
	case step.WorkflowID != "":
		return nil, nil, fmt.Errorf("step %q calls workflow %q, not an operation", step.StepID, step.WorkflowID)
	}
	return nil, nil, fmt.Errorf("step %q names no operationId, operationPath or workflowId", step.StepID)
}

func openAPISource(srcs map[string]*Source, doc *Document, name string) (*Source, error) {
	src := srcs[name]
	if src == nil {
		if doc != nil && doc.SourceDescription(name) != nil {
			return nil, fmt.Errorf("source %q did not load: %w", name, ErrUnknownSource)
		}
		return nil, fmt.Errorf("no source description %q: %w", name, ErrUnknownSource)
	}
	if src.OpenAPI == nil {
		return nil, fmt.Errorf("source %q is an %s source, not openapi: %w", name, src.Type, ErrUnknownSource)
	}
	return src, nil
}

func resolveOperationID(srcs map[string]*Source, doc *Document, id string) (*ResolvedOperation, *resolveNote, error) {
	raw := id
	if strings.HasPrefix(id, "{") && strings.HasSuffix(id, "}") {
		id = id[1 : len(id)-1]
	}
	if rest, ok := strings.CutPrefix(id, "$sourceDescriptions."); ok {
		name, opID, ok := strings.Cut(rest, ".")
		if !ok || opID == "" {
			return nil, nil, fmt.Errorf("operationId %q: want $sourceDescriptions.<name>.<operationId>", raw)
		}
		src, err := openAPISource(srcs, doc, name)
		if err != nil {
			return nil, nil, fmt.Errorf("operationId %q: %w", raw, err)
		}
		op, err := src.OpenAPI.Operation(opID)
		if err != nil {
			return nil, nil, fmt.Errorf("operationId %q: %w", raw, err)
		}
		return &ResolvedOperation{Source: src, Op: op}, nil, nil
	}

	var names []string
	for name, src := range srcs {
		if src.OpenAPI != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)

	// <name>.<operationId>: only when the prefix names a source that has the
	// operation, since operationIds may themselves contain dots.
	if name, opID, ok := strings.Cut(id, "."); ok {
		if src := srcs[name]; src != nil && src.OpenAPI != nil {
			if op, err := src.OpenAPI.Operation(opID); err == nil {
				return &ResolvedOperation{Source: src, Op: op}, &resolveNote{
					code: "operation-id-shorthand",
					msg:  fmt.Sprintf("operationId %q uses a form the specification does not define; write $sourceDescriptions.%s.%s", raw, name, opID),
				}, nil
			}
		}
	}

	var found []*ResolvedOperation
	for _, name := range names {
		src := srcs[name]
		op, err := src.OpenAPI.Operation(id)
		if err == nil {
			found = append(found, &ResolvedOperation{Source: src, Op: op})
		} else if !errors.Is(err, openapi.ErrOperationNotFound) {
			return nil, nil, fmt.Errorf("operationId %q in source %q: %w", raw, name, err)
		}
	}
	switch {
	case len(found) == 0 && len(names) == 0:
		return nil, nil, fmt.Errorf("operationId %q: the document has no loaded openapi source: %w", raw, ErrUnknownSource)
	case len(found) == 0:
		return nil, nil, fmt.Errorf("operationId %q is not in source %s: %w", raw, strings.Join(quoteAll(names), ", "), openapi.ErrOperationNotFound)
	case len(found) > 1:
		var in []string
		for _, f := range found {
			in = append(in, f.Source.Name)
		}
		return nil, nil, fmt.Errorf("operationId %q is in sources %s; write $sourceDescriptions.<name>.%s: %w", raw, strings.Join(quoteAll(in), " and "), id, ErrAmbiguousOperation)
	}
	if len(names) > 1 {
		return found[0], &resolveNote{
			code: "ambiguous-operation",
			msg:  fmt.Sprintf("the document has several openapi sources, so the specification requires operationId %q to be written $sourceDescriptions.%s.%s", raw, found[0].Source.Name, id),
		}, nil
	}
	return found[0], nil, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func resolveOperationPath(srcs map[string]*Source, path string) (*ResolvedOperation, *resolveNote, error) {
	ref, pointer, ok := strings.Cut(path, "#")
	if !ok {
		return nil, nil, fmt.Errorf("operationPath %q: want {$sourceDescriptions.<name>.url}#<json-pointer>", path)
	}
	var note *resolveNote
	inner := ref
	if strings.HasPrefix(ref, "{") && strings.HasSuffix(ref, "}") {
		inner = ref[1 : len(ref)-1]
	} else {
		note = &resolveNote{
			code: "operation-path-unbraced",
			msg:  fmt.Sprintf("operationPath %q: write the source expression in braces: {%s}#%s", path, ref, pointer),
		}
	}
	rest, ok := strings.CutPrefix(inner, "$sourceDescriptions.")
	if !ok {
		return nil, nil, fmt.Errorf("operationPath %q: want {$sourceDescriptions.<name>.url}#<json-pointer>", path)
	}
	name, field, _ := strings.Cut(rest, ".")
	if field != "url" {
		return nil, nil, fmt.Errorf("operationPath %q: want {$sourceDescriptions.%s.url}#<json-pointer>", path, name)
	}
	src, err := openAPISource(srcs, nil, name)
	if err != nil {
		return nil, nil, fmt.Errorf("operationPath %q: %w", path, err)
	}
	op, err := src.OpenAPI.OperationAt(pointer)
	if err != nil {
		return nil, nil, fmt.Errorf("operationPath %q: %w", path, err)
	}
	return &ResolvedOperation{Source: src, Op: op}, note, nil
}
