// Tests of interpolation, of command words and of the port short syntax.

package topology

import (
	"reflect"
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": "", "OTHER": "o"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := map[string]string{
		"plain":                 "plain",
		"${SET}":                "v",
		"$SET/x":                "v/x",
		"${SET}${SET}":          "vv",
		"${UNSET}":              "",
		"${UNSET:-d}":           "d",
		"${EMPTY:-d}":           "d",
		"${SET:-d}":             "v",
		"${EMPTY-d}":            "",
		"${UNSET-d}":            "d",
		"${UNSET:-}":            "",
		"${UNSET:-a b:c}":       "a b:c",
		"${UNSET:-${OTHER}}":    "o",
		"${UNSET:-x${OTHER}y}":  "xoy",
		"${UNSET:-${NO:-deep}}": "deep",
		"${SET:+alt}":           "alt",
		"${EMPTY:+alt}":         "",
		"${EMPTY+alt}":          "alt",
		"${UNSET+alt}":          "",
		"${SET:?never}":         "v",
		"${SET:-${UNSET:?x}}":   "v", // an unused word is not evaluated
		"cost: $$5":             "cost: $5",
		"$$SET":                 "$SET",
		"$$${SET}":              "$v",
		"a$":                    "a$",
		"$ x":                   "$ x",
		"$1":                    "$1",
		"${SET}-${UNSET}":       "v-",
	}
	for in, want := range cases {
		got, err := interpolate(in, lookup)
		if err != nil || got != want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"${IMAGE":                `"${IMAGE": unterminated ${`,
		"x ${A:-${B}":            "unterminated ${",
		"${":                     "unterminated ${",
		"${1BAD}":                "${ must be followed by a variable name",
		"${}":                    "${ must be followed by a variable name",
		"${A B}":                 `invalid variable name or operator at "A "`,
		"${UNSET:?set it first}": "variable UNSET is not set: set it first",
		"${EMPTY:?}":             "variable EMPTY is not set: required",
		"${UNSET?}":              "variable UNSET is not set",
		strings.Repeat("${A:-", 40) + strings.Repeat("}", 40): "nested more than 32 deep",
	}
	for in, want := range bad {
		if got, err := interpolate(in, lookup); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("interpolate(%q) = %q, %v; want error %q", in, got, err, want)
		}
	}
	if _, err := interpolate("${EMPTY?}", lookup); err != nil {
		t.Errorf("${EMPTY?} with EMPTY set: %v", err)
	}
}

func TestInterpolationInNonStringFields(t *testing.T) {
	env := map[string]string{"N": "3", "RO": "true", "CPU": "0.25", "NOPE": "lots"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	src := "services:\n  a:\n    image: x\n    replicas: ${N}\n    read_only: ${RO}\n    resources: {cpus: $CPU}\n"
	top, err := Parse([]byte(src), "i.yaml", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if a := top.Services["a"]; a.Replicas != 3 || !a.ReadOnly || a.Resources.CPUs != 0.25 {
		t.Errorf("a = %s", dump(a))
	}
	_, err = Parse([]byte("services:\n  a:\n    image: x\n    replicas: ${NOPE}\n"), "i.yaml", lookup)
	if err == nil || !strings.Contains(err.Error(), `i.yaml:4: services.a.replicas: "${NOPE}" gives "lots": want a whole number`) {
		t.Errorf("err = %v", err)
	}
}

func TestSplitWords(t *testing.T) {
	cases := map[string][]string{
		"":                          nil,
		"   ":                       nil,
		"a b\tc\n d":                {"a", "b", "c", "d"},
		`sh -c 'echo "hi there"'`:   {"sh", "-c", `echo "hi there"`},
		`echo "a \"q\" \\ \$x"`:     {"echo", `a "q" \ $x`},
		`a\ b c`:                    {"a b", "c"},
		`'' ""`:                     {"", ""},
		`pre'mid'"post"`:            {"premidpost"},
		`/link -addr :8080 -v=true`: {"/link", "-addr", ":8080", "-v=true"},
	}
	for in, want := range cases {
		got, err := splitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{`'open`, `"open`, `a "b\"`, `trailing\`, `echo a; echo b`, `a | b`, `a > f`} {
		if _, err := splitWords(in); err == nil {
			t.Errorf("splitWords(%q): no error", in)
		}
	}
}

func TestParsePort(t *testing.T) {
	ok := map[string]Port{
		"8080":                {HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"},
		"80:8080":             {HostIP: "127.0.0.1", HostPort: "80", ContainerPort: "8080", Protocol: "tcp"},
		"0.0.0.0:80:80/udp":   {HostIP: "0.0.0.0", HostIPSet: true, HostPort: "80", ContainerPort: "80", Protocol: "udp"},
		"[::]:80:80":          {HostIP: "::", HostIPSet: true, HostPort: "80", ContainerPort: "80", Protocol: "tcp"},
		"[0:0::1]:80:80/sctp": {HostIP: "::1", HostIPSet: true, HostPort: "80", ContainerPort: "80", Protocol: "sctp"},
		"127.0.0.1::80":       {HostIP: "127.0.0.1", HostIPSet: true, ContainerPort: "80", Protocol: "tcp"},
		"8000-8002:80":        {HostIP: "127.0.0.1", HostPort: "8000-8002", ContainerPort: "80", Protocol: "tcp"},
		"7000-7001:7000-7001": {HostIP: "127.0.0.1", HostPort: "7000-7001", ContainerPort: "7000-7001", Protocol: "tcp"},
		"8080-8080:80":        {HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "80", Protocol: "tcp"},
		"65535/TCP":           {HostIP: "127.0.0.1", ContainerPort: "65535", Protocol: "tcp"},
	}
	for spec, want := range ok {
		got, err := parsePort(spec)
		if err != nil || got != want {
			t.Errorf("parsePort(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	bad := []string{"", "0", "65536", "80800:80", "-1", "+80", "80:", "a:b", "1:2:3:4", "::1:80:80",
		"[::1:80:80", "[::1]:80", "localhost:80:80", "80/icmp", "80/", "9-8", "80:80-81", "80-81:80-82"}
	for _, spec := range bad {
		if got, err := parsePort(spec); err == nil {
			t.Errorf("parsePort(%q) = %+v, want an error", spec, got)
		}
	}
}
