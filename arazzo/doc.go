// Package arazzo is trama's model of Arazzo workflow descriptions: it loads
// Arazzo 1.0.x documents (with the 1.1 additions trama relies on: step
// dependsOn, $self and the 1.1 runtime-expression grammar) from YAML or JSON,
// keeps the line and column of every object and field so diagnostics can point
// at the exact key or value, loads the source descriptions a document refers
// to, validates the result and renders workflows as Mermaid flowcharts.
//
// Values that the runner evaluates (parameter values, payloads, outputs,
// criteria) are kept raw; trama's runner compiles them with package
// arazzo/expr when a workflow runs.
package arazzo
