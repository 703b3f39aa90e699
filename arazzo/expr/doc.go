// Package expr parses and evaluates Arazzo runtime expressions, string
// values that embed them, and simple conditions.
//
// Line numbers below refer to the spec texts in trama's shared reference
// (arazzo-spec-1.0.1.md and arazzo-spec-1.1.0.md). trama targets 1.0.x
// documents and uses 1.1's clarifications wherever 1.0.1 is silent.
//
// # Runtime expressions
//
// Parse follows the 1.1 ABNF (1.1 l.1342–1445). It accepts every 1.0.1
// expression in practice while removing 1.0.1's ambiguity (its name =
// *CHAR could not say where $steps.a.outputs.b ends): step ids, workflow ids
// and source names are [A-Za-z0-9_-]+, input, output and component names
// are [A-Za-z0-9._-]+, and only $inputs, $outputs, $steps, $workflows and
// the $request/$response/$message body and payload take a "#/json/pointer"
// tail. Query and path parameter names and $sourceDescriptions references
// take any character except controls, '"', '{' and '}' (with JSON
// backslash escapes). Header names are case-insensitive (1.1 l.1448); the
// Resolver does that lookup. Syntax errors are *SyntaxError with a byte
// offset, and a mistyped root or keyword gets a suggestion ("unknown root
// $inptus; did you mean $inputs?").
//
// Because input and output names may contain dots, "$inputs.user.id" names
// the input "user.id". Authors also write it to reach into an object input,
// so when no input "user.id" exists Eval falls back to input "user" and
// member "id".
//
// Options.Roots adds roots such as $event and $env for trigger
// configurations; they take a dotted path and an optional pointer tail.
//
// # Templates
//
// A string value that is exactly one expression keeps the referenced
// value's type (1.0.1 l.863): "$inputs.limit" yields 25, not "25". Each
// "{$expr}" in a longer string is replaced by the value's string form, and
// objects and arrays are written as JSON (1.1 l.1474–1480). A value that is
// exactly "{$expr}" is embedding as well and yields a string, as the 1.1 text
// describes. A "{" not followed by "$" and a "}" outside an embed are
// literal text, so JSON written inside a string survives; an unclosed or
// invalid "{$…}" is a syntax error rather than silent literal text.
//
// Compat mode, the default, also substitutes bare expressions inside a
// longer string, such as "SSWS $inputs.oktaApiToken" in Okta workflows. The
// spec does not define this (arazzo.md (c)(3)); Redocly Respect substitutes,
// other runners send the text literally. A "$" starts a token that runs to
// the next space, "{" or "}"; trailing ".,;:!?)]'\"" is dropped, and the
// longest valid expression at the start of the token is substituted. Tokens
// that are not expressions ("$5", "$.foo", "$nope") stay literal. Names
// that take any character (query and path parameters) run to the end of the
// token, so write "{$request.path.id}/x" rather than a bare form.
// Template.BareUses lists every bare substitution with its byte offsets so
// `trama validate` can warn and suggest the portable "{$…}" form. Strict
// mode substitutes only whole-value expressions and "{$…}".
//
// # Simple conditions
//
// ParseCondition is a recursive-descent parser for the 1.0.1 literal and
// operator tables (l.627–653) with "&&" binding tighter than "||", "!",
// parentheses, and ".member"/"[n]" steps after an expression
// ("$response.body.count > $inputs.threshold", 1.1 l.883). The whole
// condition may be wrapped in "{…}" as in the 1.0.1 example (l.572). An
// unbraced operand ends at whitespace or one of ! & ( ) < = > { | }; an
// expression whose pointer or name contains those is written "{$…}".
// Evaluation rules, with the choices the spec leaves open:
//
//   - Strings compare case-insensitively (1.0.1 l.653, 1.1 l.941) after
//     full Unicode case folding: 'straße' == 'STRASSE'.
//   - Numeric strings compare numerically against numbers (1.1 l.942);
//     two numeric strings order numerically ('10' > '9') but are equal only
//     as text, so '007' != '7'. Integers compare exactly up to int64.
//   - null equals only null (1.1 l.943). A missing value behaves as null.
//     "!=" is always the negation of "==", which is what makes the 1.1
//     example "$response.body.data != null" (l.952) pass only when data is
//     present. Ordering (< <= > >=) with null or a missing value is false.
//   - A value standing alone passes when true and fails when false, null or
//     missing (1.1 l.927–937). Other values follow the truthiness 1.1 gives
//     for XPath results (l.1006–1016): a number passes unless zero, a string,
//     array or object unless empty. A header or query string "true"/"false"
//     counts as the boolean.
//   - Ordering values that have no order (booleans, objects, a number
//     against a non-numeric string) is an evaluation error. Errors make the
//     criterion fail and name the expression for the run report
//     (1.1 l.1036–1044).
package expr
