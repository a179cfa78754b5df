// JUnit: one testcase per hypothesis line, so an experiment runs in CI as a resilience test.

package experiment

import (
	"encoding/xml"
	"fmt"
	"io"
)

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Output    string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the hypothesis lines as a JUnit test suite.
func WriteJUnit(w io.Writer, j *Journal) error {
	s := junitSuite{Name: "chainctl experiment " + j.Experiment.Name, Time: fmt.Sprintf("%.3f", j.EndMS/1000)}
	for _, r := range j.Checks {
		c := junitCase{Name: r.Check.Text, Classname: j.Experiment.Name, Output: fmt.Sprintf("%s (%s)", r.Figure, r.Where)}
		if !r.Held {
			s.Failures++
			c.Failure = &junitFailure{Message: fmt.Sprintf("%s: %s at %s", r.Check.Text, r.Figure, r.Where),
				Text: "verdict: " + j.Verdict}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
