// The subcommands: each parses its flags, makes one call into internal/netfault/agent, and prints one JSON line.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/chainctl/chainctl/internal/netfault/agent"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

const usage = "usage: netfault run | clear | list | probe -addr HOST:PORT [-n N] [-timeout D] [-interval D] [-c N] | serve [-port P] [-bytes N] | fetch -addr HOST:PORT [-timeout D]"

// errUsage marks a usage error: exit code 2.
var errUsage = errors.New("usage")

// env is what a subcommand gets.
type env struct {
	ctx    context.Context
	args   []string
	getenv func(string) string
	out    *json.Encoder // stdout: the one JSON line
	stderr io.Writer     // notes for people
}

var commands = map[string]func(env) error{
	"run": cmdRun, "clear": cmdClear, "list": cmdList,
	"probe": cmdProbe, "serve": cmdServe, "fetch": cmdFetch,
}

// Run runs one subcommand and returns the exit code: 0, 1 when it failed
// (after printing {"error":"..."}), 2 on a usage error.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := env{ctx: ctx, getenv: getenv, out: json.NewEncoder(stdout), stderr: stderr}
	err := fmt.Errorf("%w: %s", errUsage, usage)
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			e.args = args[1:]
			err = cmd(e)
		} else {
			err = fmt.Errorf("%w: unknown command %q: %s", errUsage, args[0], usage)
		}
	}
	if err == nil {
		return 0
	}
	e.out.Encode(map[string]string{"error": err.Error()})
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// flags parses the subcommand's flags; define them on fs first.
func (e env) parse(fs *flag.FlagSet) error {
	fs.SetOutput(e.stderr)
	if err := fs.Parse(e.args); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}

// cmdRun applies the job in NETFAULT_JOB, says ready, waits for SIGTERM or
// SIGINT, removes it all and says cleared. A failure to apply removes what
// was added so far.
func cmdRun(e env) error {
	if err := e.parse(flag.NewFlagSet("run", flag.ContinueOnError)); err != nil {
		return err
	}
	encoded := e.getenv("NETFAULT_JOB")
	if encoded == "" {
		return errors.New("run: NETFAULT_JOB is empty: want the job as JSON")
	}
	job, err := spec.Decode(encoded)
	if err != nil {
		return err
	}
	a, err := agent.New(job)
	if err != nil {
		return err
	}
	mechs, err := a.Apply()
	if err != nil {
		return err
	}
	for _, r := range a.Rules() {
		fmt.Fprintf(e.stderr, "netfault: %s\n", r)
	}
	e.out.Encode(struct {
		Ready      bool              `json:"ready"`
		Mechanisms map[string]string `json:"mechanisms"`
	}{true, mechs})
	<-e.ctx.Done()
	if err := a.Remove(); err != nil {
		return fmt.Errorf("clear: %w", err)
	}
	return e.out.Encode(map[string]bool{"cleared": true})
}

// cmdClear removes what any helper left; the removed items go to stderr.
func cmdClear(e env) error {
	if err := e.parse(flag.NewFlagSet("clear", flag.ContinueOnError)); err != nil {
		return err
	}
	st, err := agent.Clear()
	if err != nil {
		return err
	}
	for _, t := range st.Tables {
		fmt.Fprintf(e.stderr, "netfault clear: removed table %s %s\n", t.Family, t.Name)
	}
	for _, q := range st.Qdiscs {
		fmt.Fprintf(e.stderr, "netfault clear: removed root qdisc %s %s on %s\n", q.Kind, q.Handle, q.Link)
	}
	return e.out.Encode(map[string]bool{"cleared": true})
}

func cmdList(e env) error {
	if err := e.parse(flag.NewFlagSet("list", flag.ContinueOnError)); err != nil {
		return err
	}
	st, err := agent.List()
	if err != nil {
		return err
	}
	return e.out.Encode(st)
}

func cmdProbe(e env) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	o := agent.ProbeOptions{}
	fs.StringVar(&o.Addr, "addr", "", "HOST:PORT to connect to")
	fs.IntVar(&o.N, "n", 1, "number of connects, each a new connection closed at once")
	fs.DurationVar(&o.Timeout, "timeout", time.Second, "timeout of each connect")
	fs.DurationVar(&o.Interval, "interval", 0, "time between the starts of two connects")
	fs.IntVar(&o.Concurrency, "c", 1, "connects at a time")
	if err := e.parse(fs); err != nil {
		return err
	}
	if o.Addr == "" || o.N < 1 || o.Timeout <= 0 {
		return fmt.Errorf("%w: probe: want -addr HOST:PORT, -n at least 1 and a positive -timeout", errUsage)
	}
	return e.out.Encode(agent.Probe(e.ctx, o))
}

// cmdServe says {"serving":"[::]:P"} once it listens, then serves until
// the signal.
func cmdServe(e env) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	port := fs.Int("port", 9000, "port to listen on")
	n := fs.Int64("bytes", 1<<20, "bytes written to each connection")
	if err := e.parse(fs); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(*port))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	e.out.Encode(map[string]string{"serving": ln.Addr().String()})
	return agent.Serve(e.ctx, ln, *n)
}

func cmdFetch(e env) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	addr := fs.String("addr", "", "HOST:PORT of a netfault serve")
	timeout := fs.Duration("timeout", time.Minute, "time allowed for the whole download")
	if err := e.parse(fs); err != nil {
		return err
	}
	if *addr == "" {
		return fmt.Errorf("%w: fetch: -addr is required", errUsage)
	}
	res, err := agent.Fetch(e.ctx, *addr, *timeout)
	if err != nil {
		return err
	}
	return e.out.Encode(res)
}
