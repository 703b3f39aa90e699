package arazzo

// fieldNames are the fields of every Arazzo object trama reads (1.0.1 and 1.1.0): the candidates of the
// "did you mean" of an unknown field, so that `successCriterias` points at `successCriteria`.
var fieldNames = []string{
	"arazzo", "components", "condition", "contentType", "context", "criteria", "dependsOn", "description",
	"failureActions", "in", "info", "inputs", "name", "onFailure", "onSuccess", "operationId",
	"operationPath", "outputs", "parameters", "payload", "reference", "replacements", "requestBody",
	"retryAfter", "retryLimit", "selector", "sourceDescriptions", "stepId", "steps", "successActions",
	"successCriteria", "summary", "target", "targetSelectorType", "timeout", "title", "type", "url", "value", "version",
	"workflowId", "workflows",
}
