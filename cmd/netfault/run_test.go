// Tests of the subcommands' output lines and exit codes, the ones that need no privileges.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, strings.TrimSpace(out.String())
}

func TestErrorsAreOneJSONLine(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{nil, nil, 2, "usage: netfault run"},
		{[]string{"explode"}, nil, 2, `unknown command \"explode\"`},
		{[]string{"probe"}, nil, 2, "want -addr"},
		{[]string{"probe", "-addr", "x:1", "extra"}, nil, 2, `unexpected argument \"extra\"`},
		{[]string{"run"}, nil, 1, "NETFAULT_JOB is empty"},
		{[]string{"run"}, map[string]string{"NETFAULT_JOB": `{"fault":{"delay":1000000,"direction":"out"}}`}, 1, "--delay with --direction out is not supported"},
		{[]string{"run"}, map[string]string{"NETFAULT_JOB": `{"fault":{"loss":2}}`}, 1, "--loss 200%"},
	}
	for _, c := range cases {
		code, line := run(t, c.env, c.args...)
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["error"] == "" {
			t.Errorf("%v: printed %q, want one {\"error\":...} line", c.args, line)
		}
		if code != c.code || !strings.Contains(line, c.want) {
			t.Errorf("%v: exit %d, %s; want exit %d and %q", c.args, code, line, c.code, c.want)
		}
	}
}

func TestProbeLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	code, line := run(t, nil, "probe", "-addr", ln.Addr().String(), "-n", "5", "-timeout", "1s", "-c", "2")
	if want := `{"ok":5,"failed":0,"errors":{"timeout":0,"refused":0,"other":0}}`; code != 0 || line != want {
		t.Errorf("probe of a listener: exit %d, %s; want %s", code, line, want)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, line = run(t, nil, "probe", "-addr", addr, "-n", "3", "-interval", "1ms")
	if want := `{"ok":0,"failed":3,"errors":{"timeout":0,"refused":3,"other":0}}`; code != 0 || line != want {
		t.Errorf("probe of a closed port: exit %d, %s; want %s", code, line, want)
	}
}
