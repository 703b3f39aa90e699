package arazzo

import "gopkg.in/yaml.v3"

// Document is one parsed Arazzo description: the entry document given to
// trama or an `arazzo` source description it refers to.
type Document struct {
	located
	// File names the document in diagnostics: what was passed to Parse, or,
	// from a Loader, the path relative to the working directory (absolute
	// when outside it) or the URL without credentials.
	File string
	// Arazzo is the specification version as written, e.g. "1.0.1".
	Arazzo string
	// Self is the 1.1 `$self` URI; when set it is the base for relative
	// source URLs.
	Self               string
	Info               Info
	SourceDescriptions []*SourceDescription
	Workflows          []*Workflow
	// Components is never nil after Parse so lookups need no nil checks.
	Components *Components
	Extensions map[string]any

	minor int // 0 for 1.0.x, 1 for 1.1.x; -1 when the version is unusable
	// selectors are the document's Selector Objects by the mapping node
	// that wrote each.
	selectors map[*yaml.Node]*Selector
}

// Info is the document's metadata.
type Info struct {
	located
	Title       string
	Summary     string
	Description string
	Version     string
	Extensions  map[string]any
}

// SourceDescription names an OpenAPI or Arazzo description the workflows
// call into.
type SourceDescription struct {
	located
	Name string
	URL  string
	// Type is "openapi", "arazzo" or empty; when empty trama decides by the
	// content of the loaded description.
	Type       string
	Extensions map[string]any
}

// Components holds the document's reusable objects, keyed by component name.
// Components are scoped to their document: a step in another document
// cannot use them.
type Components struct {
	located
	// Inputs holds raw JSON Schemas for workflow inputs to $ref.
	Inputs         map[string]any
	Parameters     map[string]*Parameter
	SuccessActions map[string]*Action
	FailureActions map[string]*Action
	Extensions     map[string]any
}

// SupportsV11 reports whether the document declares Arazzo 1.1, which
// enables step dependsOn, `$self` and the 1.1-only expression forms without
// a compatibility warning.
func (d *Document) SupportsV11() bool { return d.minor >= 1 }

// Workflow returns the workflow with the given workflowId, or nil.
func (d *Document) Workflow(id string) *Workflow {
	for _, w := range d.Workflows {
		if w.WorkflowID == id {
			return w
		}
	}
	return nil
}

// SourceDescription returns the source description with the given name, or
// nil.
func (d *Document) SourceDescription(name string) *SourceDescription {
	for _, s := range d.SourceDescriptions {
		if s.Name == name {
			return s
		}
	}
	return nil
}
