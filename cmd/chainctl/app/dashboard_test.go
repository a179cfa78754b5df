// Tests of the dashboard verb's flags: an address that is not loopback, a bad address or probe rate is a usage error found before the engine is asked.

package app

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestDashboardFlagsRefuseBadInput(t *testing.T) {
	// An engine that cannot answer: each mistake must be found before it is asked.
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:0"}, "--listen-any"},
		{[]string{"--listen", ":8765"}, "not a loopback address (every interface)"},
		{[]string{"--listen", "192.168.1.5:8765"}, "not a loopback address"},
		{[]string{"--listen", "127.0.0.1"}, "want host:port"},
		{[]string{"--probe-rate", "0"}, "--probe-rate 0"},
		{[]string{"--probe-rate", "5000"}, "at most 1000"},
		{[]string{"a.yaml", "b.yaml"}, "accepts at most 1 arg"},
	} {
		var out, errb syncBuffer
		g := &globals{env: readEnv(), stdout: &out, stderr: &errb}
		cmd := newDashboardCmd(g)
		addFileFlag(cmd, g)
		cmd.SetArgs(tc.args)
		cmd.SetOut(&out)
		cmd.SetErr(&errb)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.ExecuteContext(context.Background())
		var ue errUsage
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("dashboard %s: %v, want a usage error saying %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if out.String() != "" {
			t.Errorf("dashboard %s printed %q on stdout", strings.Join(tc.args, " "), out.String())
		}
	}
}

func TestDashboardListenAnyAllowsAnotherAddress(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	var out, errb syncBuffer
	g := &globals{env: readEnv(), stdout: &out, stderr: &errb}
	cmd := newDashboardCmd(g)
	addFileFlag(cmd, g)
	cmd.SetArgs([]string{"--listen", "0.0.0.0:0", "--listen-any", "-f", "testdata/none.yaml"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	var ue errUsage
	if err == nil || (errors.As(err, &ue) && strings.Contains(err.Error(), "--listen")) {
		t.Errorf("dashboard --listen-any 0.0.0.0:0: %v, want it past the address check (then failing on the missing file)", err)
	}
}
