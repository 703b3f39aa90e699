package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/trama-dev/trama/secret"
)

// Status is the outcome of one step execution.
type Status string

// Step outcomes. Errored is for a step that could not be carried out at all (the request never got a
// response), as opposed to Failed, where the API answered and the success criteria did not hold; CI
// servers show the two differently.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Errored Status = "error"
	Skipped Status = "skipped"
)

// Suite is one workflow run: a <testsuite> in the JUnit report.
type Suite struct {
	Name      string    // the workflowId
	Timestamp time.Time // when the run started; zero omits the attribute
	Duration  time.Duration
	// Inputs are written as <property> elements. Secret-named inputs and values in the JUnit's Set are
	// masked; non-string values are written as JSON.
	Inputs map[string]any
	Steps  []Case
}

// Case is one step execution: a <testcase>. A step retried three times is three Cases.
type Case struct {
	Name     string // the stepId
	Class    string // the workflowId; "" uses the Suite's Name
	Duration time.Duration
	Status   Status
	Message  string // why the step failed, errored or was skipped; the failure text CI servers show
	Output   string // written as <system-out>, e.g. the request and response summary
}

// JUnit collects workflow runs and writes them as JUnit XML in the shape Jenkins, GitLab and the
// Maven Surefire schema expect. It is safe for concurrent use.
type JUnit struct {
	// Name is the name attribute of <testsuites>; "" writes "trama".
	Name string
	// Secrets are redacted from every message, output and property when the report is written. nil
	// masks only secret-named inputs.
	Secrets *secret.Set

	mu     sync.Mutex
	suites []Suite
}

// Add records a workflow run. The Suite is copied; its Inputs map is read only when the report is
// written, so the caller must not modify it afterwards.
func (j *JUnit) Add(s Suite) {
	s.Steps = slices.Clone(s.Steps)
	j.mu.Lock()
	j.suites = append(j.suites, s)
	j.mu.Unlock()
}

// WriteTo writes the report, suites in the order they were added. It fails, writing nothing, when a
// Case has a Status other than the four defined ones.
func (j *JUnit) WriteTo(w io.Writer) (int64, error) {
	j.mu.Lock()
	suites := slices.Clone(j.suites)
	j.mu.Unlock()

	name := j.Name
	if name == "" {
		name = "trama"
	}
	doc := junitSuites{Name: name}
	var total time.Duration
	for _, s := range suites {
		js, err := j.suite(s)
		if err != nil {
			return 0, err
		}
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Errors += js.Errors
		total += s.Duration
		doc.Suites = append(doc.Suites, js)
	}
	doc.Time = seconds(total)

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return 0, fmt.Errorf("encode JUnit XML: %w", err)
	}
	buf.WriteByte('\n')
	return buf.WriteTo(w)
}

func (j *JUnit) suite(s Suite) (junitSuite, error) {
	red := j.Secrets.Redact
	js := junitSuite{Name: red(s.Name), Time: seconds(s.Duration), Tests: len(s.Steps)}
	if !s.Timestamp.IsZero() {
		// The schema's timestamp has no zone, so it is always UTC.
		js.Timestamp = s.Timestamp.UTC().Format("2006-01-02T15:04:05")
	}
	names := make([]string, 0, len(s.Inputs))
	for k := range s.Inputs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		js.Properties = append(js.Properties, junitProperty{Name: red(k), Value: j.inputValue(k, s.Inputs[k])})
	}
	for _, c := range s.Steps {
		class := c.Class
		if class == "" {
			class = s.Name
		}
		jc := junitCase{Name: red(c.Name), Classname: red(class), Time: seconds(c.Duration)}
		msg := red(c.Message)
		switch c.Status {
		case Passed:
		case Failed:
			js.Failures++
			jc.Failure = &junitProblem{Message: msg, Type: "failure", Text: msg}
		case Errored:
			js.Errors++
			jc.Error = &junitProblem{Message: msg, Type: "error", Text: msg}
		case Skipped:
			js.Skipped++
			jc.Skipped = &junitSkipped{Message: msg}
		default:
			return junitSuite{}, fmt.Errorf("step %q of workflow %q has unknown status %q: want passed, failed, error or skipped",
				red(c.Name), red(s.Name), c.Status)
		}
		if c.Output != "" {
			jc.SystemOut = &junitText{Text: red(c.Output)}
		}
		js.Cases = append(js.Cases, jc)
	}
	return js, nil
}

// inputValue is the property value of input name: masked when the name says it is secret.
func (j *JUnit) inputValue(name string, v any) string {
	if v != nil && secret.IsSecretName(name) {
		return secret.Mask
	}
	switch t := v.(type) {
	case string:
		return j.Secrets.Redact(t)
	case nil:
		return "null"
	}
	b, err := json.Marshal(secret.RedactJSON(v, j.Secrets))
	if err != nil {
		return secret.Mask
	}
	return j.Secrets.Redact(string(b))
}

// seconds formats d as the schema's decimal seconds, to the millisecond.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// junitSuites carries no skipped count: the Jenkins schema allows one on <testsuite> only.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitText struct {
	Text string `xml:",chardata"`
}
