package arazzo

import "strings"

// Workflow is a sequence of steps with inputs and outputs.
type Workflow struct {
	located
	WorkflowID  string
	Summary     string
	Description string
	// Inputs is the raw JSON Schema (2020-12) of the workflow's inputs, as
	// decoded from YAML; nil when the workflow takes none.
	Inputs any
	// DependsOn lists workflows that must complete first: local workflowIds or
	// `$sourceDescriptions.<name>.<workflowId>`.
	DependsOn      []string
	Steps          []*Step
	SuccessActions []*Action
	FailureActions []*Action
	// Outputs maps output names to a runtime expression (string) or (1.1)
	// a *Selector.
	Outputs    map[string]any
	Parameters []*Parameter
	Extensions map[string]any
}

// Step is one call to an operation or to another workflow.
type Step struct {
	located
	StepID      string
	Description string
	// Exactly one of OperationID, OperationPath, ChannelPath and WorkflowID
	// is set in a valid document.
	OperationID   string
	OperationPath string
	WorkflowID    string
	// ChannelPath (Arazzo 1.1) references an AsyncAPI channel:
	// `{$sourceDescriptions.<name>.url}#/channels/<channel>`.
	ChannelPath string
	// Action (Arazzo 1.1) is "send" or "receive" on a step that references an
	// AsyncAPI operation or channel.
	Action string
	// CorrelationID (Arazzo 1.1) is, on a receive step, the value (a runtime
	// expression or a literal) a message must carry at its AsyncAPI
	// correlationId location.
	CorrelationID   any
	Parameters      []*Parameter
	RequestBody     *RequestBody
	SuccessCriteria []*Criterion
	OnSuccess       []*Action
	OnFailure       []*Action
	// Outputs maps output names to a runtime expression (string) or (1.1)
	// a *Selector.
	Outputs map[string]any
	// DependsOn (Arazzo 1.1) lists steps that must complete before this one:
	// a stepId of the same workflow, `$workflows.<id>.steps.<stepId>` or
	// `$sourceDescriptions.<name>.<workflowId>.steps.<stepId>`.
	DependsOn []string
	// Timeout (Arazzo 1.1) is how many milliseconds one execution of the step may take before it fails
	// (and its onFailure actions apply); nil for no limit of its own.
	Timeout    *int
	Extensions map[string]any
}

// Target says in a few words what the step calls, for graphs and pages: its operationId, the JSON
// Pointer of its operationPath or channelPath, or "workflow <id>"; an AsyncAPI step's starts with its
// action ("receive receiveFactorActivated"). Empty for a step that names nothing.
func (s *Step) Target() string {
	action := ""
	if s.Action != "" {
		action = s.Action + " "
	}
	pointer := func(p string) string {
		if _, ptr, ok := strings.Cut(p, "#"); ok {
			return ptr
		}
		return p
	}
	switch {
	case s.ChannelPath != "":
		return action + pointer(s.ChannelPath)
	case s.OperationID != "":
		id := s.OperationID
		if _, rest, ok := strings.Cut(id, "$sourceDescriptions."); ok && action != "" {
			_, id, _ = strings.Cut(rest, ".")
		}
		return action + id
	case s.OperationPath != "":
		return action + pointer(s.OperationPath)
	case s.WorkflowID != "":
		return "workflow " + s.WorkflowID
	}
	return ""
}

// Step returns the step with the given stepId, or nil.
func (w *Workflow) Step(id string) *Step {
	for _, s := range w.Steps {
		if s.StepID == id {
			return s
		}
	}
	return nil
}

// StepIndex returns the position of the step with the given stepId in
// w.Steps, or -1.
func (w *Workflow) StepIndex(id string) int {
	for i, s := range w.Steps {
		if s.StepID == id {
			return i
		}
	}
	return -1
}

// OutputPos is where the expression of output name starts.
func (w *Workflow) OutputPos(name string) Pos { return mapEntryPos(w.valueNode("outputs"), name) }

// OutputPos is where the expression of output name starts.
func (s *Step) OutputPos(name string) Pos { return mapEntryPos(s.valueNode("outputs"), name) }

// DependsOnPos is where entry i of dependsOn starts.
func (w *Workflow) DependsOnPos(i int) Pos { return seqItemPos(w.valueNode("dependsOn"), i) }

// DependsOnPos is where entry i of dependsOn starts.
func (s *Step) DependsOnPos(i int) Pos { return seqItemPos(s.valueNode("dependsOn"), i) }
