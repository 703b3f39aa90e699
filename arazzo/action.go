package arazzo

// Action is a Success Action or Failure Action Object: what to do after a
// step succeeded or failed. The two objects share one shape; RetryAfter and
// RetryLimit only mean something on failure actions of type "retry". An
// action written as a Reusable Object has only Reference set; use
// Document.ResolveSuccessAction or Document.ResolveFailureAction.
type Action struct {
	located
	Name string
	// Type is "end", "goto" or (failure actions only) "retry".
	Type string
	// WorkflowID and StepID name the goto or retry target; at most one is
	// set.
	WorkflowID string
	StepID     string
	// Criteria must all pass for the action to apply; none means always.
	Criteria []*Criterion
	// RetryAfter is the delay in seconds before a retry; nil when not
	// written (trama then retries at once unless the response says
	// Retry-After).
	RetryAfter *float64
	// RetryLimit is how many retries are allowed; nil means one, as the
	// specification prescribes.
	RetryLimit *int
	// Parameters (Arazzo 1.1) are inputs for the workflow named by
	// WorkflowID.
	Parameters []*Parameter
	// Reference is `$components.successActions.<name>` or
	// `$components.failureActions.<name>` for a Reusable Object.
	Reference  string
	Extensions map[string]any
}

// SuccessAction is an Action in a step's onSuccess or a workflow's
// successActions.
type SuccessAction = Action

// FailureAction is an Action in a step's onFailure or a workflow's
// failureActions.
type FailureAction = Action

// IsReference reports whether a is a Reusable Object.
func (a *Action) IsReference() bool { return a.Reference != "" }

// Criterion is one assertion of successCriteria or of an action's criteria.
type Criterion struct {
	located
	// Context is the runtime expression a regex, jsonpath or xpath condition
	// applies to.
	Context   string
	Condition string
	// Type is "simple", "regex", "jsonpath", "xpath" or empty (simple). It
	// may be written as a string or as an Expression Type Object
	// `{type, version}`; both forms land here.
	Type string
	// Version is the JSONPath or XPath version from an Expression Type
	// Object, empty for the defaults (RFC 9535, XPath 3.1). Its position is
	// Pos("type.version").
	Version    string
	Extensions map[string]any
}

// EffectiveType is Type with the implicit "simple" filled in.
func (c *Criterion) EffectiveType() string {
	if c.Type == "" {
		return "simple"
	}
	return c.Type
}
